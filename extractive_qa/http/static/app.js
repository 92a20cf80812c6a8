// extractive-qa's page: ask, see the answers highlighted in their passages, rate them, upload files.
// Lists the collection's documents and removes one on request. Talks to this server only (GET info, GET sources,
// DELETE sources/{id}, POST ask/run, POST upload, POST feedback), with the API key when the server asks for one. Everything shown is inserted as text (textContent), never as markup.
"use strict";

(() => {
  const KEY_STORAGE = "extractive-qa-api-key";
  // The threshold slider asks again once it has not moved for this long (a drag or ten arrow presses: one request).
  const SLIDER_SETTLE_MS = 600;
  // Documents listed a page; the name filter asks once typing has paused this long.
  const DOCUMENTS_PAGE = 20;
  const FILTER_SETTLE_MS = 300;
  const $ = (id) => document.getElementById(id);
  const state = {
    info: null,
    question: null,
    minConfidence: null, // the slider's confidence once moved; null: the server's threshold
    sliderTimer: null,
    asked: 0, // questions sent: only the latest one's answers are shown
    memoryKey: "",
    keyPrompt: null,
    documents: { name: "", offset: 0, total: 0, loaded: 0, timer: null },
  };

  // ---- small helpers ----------------------------------------------------------------------------------------

  /** An element with attributes and children (strings become text nodes). */
  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value !== null && value !== undefined && value !== false) node.setAttribute(name, String(value));
    }
    for (const child of children) {
      if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  /** A share as people read it: 0.42 -> "42%", with ">99%" and "<1%" at the ends rather than 100% and 0%. */
  function percent(value) {
    if (value >= 0.995) return ">99%";
    if (value < 0.005) return "<1%";
    return `${Math.round(value * 100)}%`;
  }

  /** The message of a refused request: FastAPI's `detail` (a text, or validation errors naming the field). */
  function errorMessage(status, body) {
    const detail = body && body.detail;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) {
      return detail.map((item) => (item && item.msg ? item.msg : JSON.stringify(item))).join("; ");
    }
    return `the server answered ${status}`;
  }

  async function readJson(response) {
    try {
      return await response.json();
    } catch {
      return null;
    }
  }

  // ---- the API key ------------------------------------------------------------------------------------------

  function currentKey() {
    try {
      return sessionStorage.getItem(KEY_STORAGE) || state.memoryKey;
    } catch {
      return state.memoryKey;
    }
  }

  function keepKey(key) {
    state.memoryKey = key;
    try {
      sessionStorage.setItem(KEY_STORAGE, key);
    } catch {
      // private mode: the key stays in memory for this page
    }
  }

  /** Asks for the API key (one dialog at a time); resolves true once one is given, false when the person cancels. */
  function askForKey(message) {
    if (state.keyPrompt) return state.keyPrompt;
    state.keyPrompt = new Promise((resolve) => {
      const dialog = $("key-dialog");
      const input = $("api-key");
      $("key-error").textContent = message || "";
      input.value = "";
      const finish = (given) => {
        $("key-form").onsubmit = null;
        dialog.oncancel = null;
        state.keyPrompt = null;
        resolve(given);
      };
      $("key-form").onsubmit = (event) => {
        event.preventDefault();
        const key = input.value.trim();
        if (!key) {
          $("key-error").textContent = "Enter the key.";
          return;
        }
        keepKey(key);
        dialog.close();
        finish(true);
      };
      dialog.oncancel = () => finish(false);
      dialog.showModal();
      input.focus();
    });
    return state.keyPrompt;
  }

  /** fetch() with the key; on 401 asks for the key and tries again. */
  async function request(path, init = {}) {
    for (let attempt = 0; ; attempt += 1) {
      const headers = new Headers(init.headers || {});
      const key = currentKey();
      if (key) headers.set("Authorization", `Bearer ${key}`);
      const response = await fetch(path, { ...init, headers, credentials: "same-origin" });
      if (response.status !== 401) return response;
      const given = await askForKey(key ? "That key was not accepted; try again." : "");
      if (!given) return response;
    }
  }

  // ---- the store and the threshold --------------------------------------------------------------------------

  function showPassages(count) {
    $("passages").textContent = `${Number(count).toLocaleString("en")} passage(s) indexed`;
  }

  /** Shows a confidence on the slider: the server gives its threshold as the confidence an answer needs. */
  function setSlider(confidence) {
    $("threshold").value = String(Math.min(99, Math.max(1, Math.round(confidence * 100))));
    $("threshold-value").textContent = percent(confidence);
  }

  /** The names of the store's sources, as suggestions for the "only in these documents" field (GET sources). */
  async function loadSourceNames() {
    try {
      const response = await request("sources?limit=500");
      if (!response.ok) return; // a server without the endpoint: the field still takes typed names
      const body = await readJson(response);
      const sources = body && Array.isArray(body.sources) ? body.sources : [];
      const names = [...new Set(sources.map((source) => source.name).filter(Boolean))];
      $("source-names").replaceChildren(...names.map((name) => el("option", { value: name })));
    } catch {
      // suggestions only
    }
  }

  /** The API's `filters` for the source names typed (comma-separated), or null for all documents. */
  function sourceFilters() {
    const names = [...new Set($("sources").value.split(",").map((name) => name.trim()).filter(Boolean))];
    if (!names.length) return null;
    if (names.length === 1) return { field: "meta.file_name", operator: "==", value: names[0] };
    return { field: "meta.file_name", operator: "in", value: names };
  }

  async function loadInfo() {
    const response = await request("info");
    const body = await readJson(response);
    if (!response.ok) {
      $("passages").textContent = `Cannot reach the server: ${errorMessage(response.status, body)}`;
      return;
    }
    state.info = body;
    showPassages(body.passages_in_store);
    if (state.minConfidence === null) setSlider(body.min_confidence);
  }

  // ---- asking -----------------------------------------------------------------------------------------------

  async function ask() {
    const question = $("question").value.trim();
    if (!question) {
      $("ask-status").textContent = "Type a question first.";
      $("question").focus();
      return;
    }
    state.question = question;
    state.asked += 1;
    const asked = state.asked;
    const button = $("ask-button");
    button.disabled = true;
    $("ask-status").textContent = "Looking for the answer…";
    try {
      const body = { question, top_k: Number($("top-k").value) };
      if (state.minConfidence !== null) body.min_confidence = state.minConfidence;
      const filters = sourceFilters();
      if (filters) body.filters = filters;
      const response = await request("ask/run", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      const data = await readJson(response);
      if (asked !== state.asked) return; // a later question (or threshold) is on its way
      if (!response.ok) {
        $("results").replaceChildren();
        $("ask-status").textContent = `Not answered: ${errorMessage(response.status, data)}`;
        return;
      }
      // The slider follows the threshold the server applied, unless the user moved it.
      if (state.minConfidence === null && typeof data.result.min_confidence === "number") {
        setSlider(data.result.min_confidence);
      }
      renderResult(data.result);
      $("ask-status").textContent = "";
    } catch (error) {
      $("ask-status").textContent = `Not answered: ${error.message}`;
    } finally {
      button.disabled = false;
    }
  }

  /** The confidence as the CLI says it (see "What do confidence and threshold mean?" on the page). */
  function confidenceText(answer) {
    if (answer.confidence === null || answer.confidence === undefined) return `score ${answer.score.toFixed(3)}`;
    const label = answer.confidence_basis === "calibrated" ? "calibrated confidence" : "confidence";
    return `${label} ${percent(answer.confidence)}`;
  }

  /** The answer's context with the answer highlighted; page breaks (form feeds) shown as line breaks. */
  function renderContext(answer) {
    const context = (answer.context || answer.text || "").replaceAll("\f", "\n");
    const start = Number.isInteger(answer.context_start) ? answer.context_start : context.indexOf(answer.text);
    const end = Number.isInteger(answer.context_end) ? answer.context_end : start + answer.text.length;
    if (start < 0) return [context];
    const before = context.slice(0, start).replace(/^\s+/, "");
    const after = context.slice(end).replace(/\s+$/, "");
    return ["…", before, el("mark", {}, context.slice(start, end)), after, "…"];
  }

  function renderAnswer(answer, rank) {
    const item = $("answer-template").content.firstElementChild.cloneNode(true);
    item.dataset.answerId = answer.answer_id || "";
    if (answer.below_threshold) item.classList.add("below");
    item.querySelector(".rank").textContent = `${rank}.`;
    item.querySelector(".answer-text").textContent = answer.text;
    const badge = item.querySelector(".badge.below");
    badge.hidden = !answer.below_threshold;
    if (answer.below_threshold && answer.reason) badge.title = answer.reason; // why it did not pass, on hover
    item.querySelector(".context").replaceChildren(...renderContext(answer));
    const where = [answer.source || "unknown source"];
    if (answer.page_number !== null && answer.page_number !== undefined) where.push(`page ${answer.page_number}`);
    where.push(confidenceText(answer));
    item.querySelector(".where").textContent = where.join(" · ");
    const group = item.querySelector(".feedback");
    group.setAttribute("aria-label", `Rate the answer “${answer.text}”`);
    for (const button of group.querySelectorAll("button.rate")) {
      button.addEventListener("click", () => rate(item, answer, button.dataset.rating));
    }
    item.querySelector(".correction").addEventListener("submit", (event) => {
      event.preventDefault();
      const correct = item.querySelector(".correct-answer").value.trim();
      rate(item, answer, "wrong_span", correct);
    });
    return item;
  }

  function renderResult(result) {
    const container = $("results");
    const answers = result.answers.filter((answer) => answer.text !== null);
    const passing = answers.filter((answer) => !answer.below_threshold);
    const below = answers.filter((answer) => answer.below_threshold);
    const nodes = [];
    if (result.no_answer) {
      const entry = result.answers.find((answer) => answer.text === null);
      const sure =
        entry && entry.confidence !== null ? ` (confidence that they do not: ${percent(entry.confidence)})` : "";
      nodes.push(
        el(
          "div",
          { class: "decision no-answer", role: "note" },
          el("strong", {}, "No answer"),
          " — the documents do not seem to answer this question",
          entry && entry.reason ? ": " : null,
          entry && entry.reason ? el("span", { class: "reason" }, entry.reason) : null,
          `${sure}.`,
          below.length ? " The best candidates are below, marked as below the threshold." : "",
        ),
      );
    }
    if (passing.length) {
      const list = el("ol", { class: "answers", "aria-label": "Answers, best first" });
      passing.forEach((answer, index) => list.append(renderAnswer(answer, index + 1)));
      nodes.push(list);
    }
    if (below.length) {
      nodes.push(el("h3", { class: "divider" }, "Below the no-answer threshold"));
      const list = el("ol", { class: "answers below-list", "aria-label": "Candidates below the threshold" });
      below.forEach((answer, index) => list.append(renderAnswer(answer, passing.length + index + 1)));
      nodes.push(list);
    }
    if (!answers.length && !result.no_answer) nodes.push(el("p", {}, "No answers."));
    container.replaceChildren(...nodes);
  }

  // ---- feedback ---------------------------------------------------------------------------------------------

  function selectedTextIn(item) {
    const selection = window.getSelection();
    if (!selection || selection.isCollapsed) return "";
    const context = item.querySelector(".context");
    return context.contains(selection.anchorNode) && context.contains(selection.focusNode)
      ? selection.toString().trim()
      : "";
  }

  /**
   * Rates an answer. "Wrong answer, right passage" needs the right answer: the button opens the field for it and
   * nothing is saved until it is given (a rating without it would be left out of the export).
   */
  async function rate(item, answer, rating, correctAnswer = null) {
    const status = item.querySelector(".feedback-status");
    const correction = item.querySelector(".correction");
    for (const button of item.querySelectorAll("button.rate")) {
      button.setAttribute("aria-pressed", String(button.dataset.rating === rating));
    }
    status.classList.remove("error", "needs");
    if (rating === "wrong_span" && !correctAnswer) {
      correction.hidden = false;
      const selected = selectedTextIn(item);
      const input = item.querySelector(".correct-answer");
      if (selected) input.value = selected;
      status.classList.add("needs");
      status.textContent =
        correctAnswer === null
          ? "Not saved yet: select the right answer in the passage or type it, then save it."
          : "Not saved: type or select the right answer first.";
      input.focus();
      return;
    }
    if (rating !== "wrong_span") correction.hidden = true;
    status.textContent = "Saving…";
    const body = { answer_id: answer.answer_id, rating };
    if (correctAnswer) body.correct_answer = correctAnswer;
    try {
      const response = await request("feedback", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      const data = await readJson(response);
      if (!response.ok) {
        status.textContent = `Not saved: ${errorMessage(response.status, data)}`;
        status.classList.add("error");
        return;
      }
      status.classList.remove("error");
      if (rating === "wrong_span") correction.hidden = true;
      status.textContent =
        data.correct_answer_found === false ? "Saved, but that answer does not stand in the passage." : "Thanks, saved.";
    } catch (error) {
      status.textContent = `Not saved: ${error.message}`;
      status.classList.add("error");
    }
  }

  // ---- the documents ----------------------------------------------------------------------------------------

  /** A size in bytes as people read it: 1536 -> "1.5 KB". */
  function sizeText(bytes) {
    if (bytes === null || bytes === undefined) return "";
    const units = ["bytes", "KB", "MB", "GB"];
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    return unit ? `${value.toFixed(1)} ${units[unit]}` : `${value} bytes`;
  }

  /** Loads the page of documents the filter and offset say (GET sources) and shows it. */
  async function loadDocuments() {
    const documents = state.documents;
    documents.loaded += 1;
    const loaded = documents.loaded;
    const params = new URLSearchParams({ offset: String(documents.offset), limit: String(DOCUMENTS_PAGE) });
    if (documents.name) params.set("name", documents.name);
    try {
      const response = await request(`sources?${params}`);
      const body = await readJson(response);
      if (loaded !== documents.loaded) return; // a later filter or page is on its way
      if (!response.ok) {
        listingFailed(errorMessage(response.status, body));
        return;
      }
      if (body.total && documents.offset >= body.total) {
        documents.offset = Math.max(0, Math.floor((body.total - 1) / DOCUMENTS_PAGE) * DOCUMENTS_PAGE);
        loadDocuments(); // the last page emptied (a removal): show the one before
        return;
      }
      renderDocuments(body);
    } catch (error) {
      if (loaded === documents.loaded) listingFailed(error.message);
    }
  }

  function listingFailed(message) {
    const status = $("documents-status");
    status.classList.remove("done");
    status.classList.add("error");
    status.textContent = `Cannot list the documents: ${message}`;
  }

  function renderDocuments(body) {
    const documents = state.documents;
    const status = $("documents-status");
    status.classList.remove("error");
    documents.total = body.total;
    $("documents-list").replaceChildren(...body.sources.map(renderDocument));
    const first = body.total ? documents.offset + 1 : 0;
    const last = documents.offset + body.sources.length;
    $("documents-page").textContent = body.total ? `${first}–${last} of ${body.total}` : "";
    $("documents-previous").disabled = documents.offset === 0;
    $("documents-next").disabled = last >= body.total;
    if (status.classList.contains("done")) return; // "Removed …" stays until the next filter or page
    if (!body.total) {
      status.textContent = documents.name
        ? "No document's name holds that."
        : "No documents yet: add some above, or index a folder with extractive-qa index.";
    } else {
      status.textContent = "";
    }
  }

  function renderDocument(source) {
    const remove = el("button", { type: "button", class: "remove" }, "Remove");
    remove.setAttribute("aria-label", `Remove ${source.name}`);
    remove.addEventListener("click", () => removeDocument(source, remove));
    const modified = source.modified ? source.modified.replace("T", " ").replace("Z", " UTC") : "";
    return el(
      "tr",
      { "data-source-id": source.id },
      el("td", { class: "name" }, source.name),
      el("td", { class: "optional" }, source.type),
      el("td", { class: "number" }, Number(source.passages).toLocaleString("en")),
      el("td", { class: "number optional" }, sizeText(source.size)),
      el("td", { class: "small optional" }, modified),
      el("td", {}, remove),
    );
  }

  /** Removes one document after asking (DELETE sources/{id}, with the key), then lists the page again. */
  async function removeDocument(source, button) {
    const status = $("documents-status");
    const question = `Remove “${source.name}” and its ${source.passages} passage(s) from the collection?`;
    if (!window.confirm(question)) return;
    button.disabled = true;
    status.classList.remove("error", "done");
    status.textContent = `Removing ${source.name}…`;
    try {
      const response = await request(`sources/${encodeURIComponent(source.id)}`, { method: "DELETE" });
      const body = await readJson(response);
      if (!response.ok) {
        status.classList.add("error");
        status.textContent = `Not removed: ${errorMessage(response.status, body)}`;
        button.disabled = false;
        return;
      }
      status.classList.add("done");
      status.textContent = `Removed ${body.source.name} (${body.passages_removed} passage(s)).`;
      showPassages(body.passages_in_store);
      loadSourceNames();
    } catch (error) {
      status.classList.add("error");
      status.textContent = `Not removed: ${error.message}`;
      button.disabled = false;
      return;
    }
    await loadDocuments();
  }

  function filterDocuments() {
    const documents = state.documents;
    clearTimeout(documents.timer);
    documents.timer = setTimeout(() => {
      documents.name = $("documents-filter").value.trim();
      documents.offset = 0;
      $("documents-status").classList.remove("done", "error");
      loadDocuments();
    }, FILTER_SETTLE_MS);
  }

  function turnPage(step) {
    const documents = state.documents;
    documents.offset = Math.max(0, documents.offset + step * DOCUMENTS_PAGE);
    $("documents-status").classList.remove("done", "error");
    loadDocuments();
  }

  // ---- uploads ----------------------------------------------------------------------------------------------

  /** Sends one file (XMLHttpRequest, for the progress); resolves with [status, body]. */
  function send(file, onProgress) {
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", "upload");
      const key = currentKey();
      if (key) xhr.setRequestHeader("Authorization", `Bearer ${key}`);
      xhr.responseType = "json";
      xhr.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) onProgress(event.loaded / event.total);
      });
      xhr.addEventListener("load", () => resolve([xhr.status, xhr.response]));
      xhr.addEventListener("error", () => resolve([0, { detail: "the upload did not reach the server" }]));
      const form = new FormData();
      form.append("files", file, file.name);
      xhr.send(form);
    });
  }

  async function uploadOne(file) {
    const progress = el("progress", { max: "1", value: "0", "aria-label": `Uploading ${file.name}` });
    const result = el("span", { class: "result" }, "uploading…");
    const item = el("li", {}, el("strong", {}, file.name), " — ", result, progress);
    $("uploads").prepend(item); // newest first, right under the control
    item.scrollIntoView({ block: "nearest" });
    let status;
    let body;
    for (let attempt = 0; ; attempt += 1) {
      [status, body] = await send(file, (share) => {
        progress.value = share;
        if (share >= 1) result.textContent = "indexing…";
      });
      if (status !== 401) break;
      if (!(await askForKey(attempt ? "That key was not accepted; try again." : ""))) break;
    }
    progress.remove();
    if (status === 200) {
      const entry = body.files[0];
      if (entry.status === "indexed") {
        item.className = "indexed";
        result.textContent = `indexed: ${entry.passages} passage(s)`;
      } else {
        item.className = "skipped";
        result.textContent = `skipped: ${entry.reason}`;
      }
      showPassages(body.passages_in_store);
      loadSourceNames();
      loadDocuments();
    } else {
      item.className = "skipped";
      result.textContent = `skipped: ${errorMessage(status, body)}`;
    }
  }

  async function upload(files) {
    for (const file of files) await uploadOne(file);
  }

  // ---- wiring -----------------------------------------------------------------------------------------------

  function start() {
    $("ask-form").addEventListener("submit", (event) => {
      event.preventDefault();
      ask();
    });
    // Each arrow key or drag step fires these; the question is asked again once the slider settles.
    const sliderMoved = () => {
      const confidence = Number($("threshold").value) / 100;
      $("threshold-value").textContent = percent(confidence);
      state.minConfidence = confidence;
      clearTimeout(state.sliderTimer);
      state.sliderTimer = setTimeout(() => {
        state.sliderTimer = null;
        if (state.question) ask();
      }, SLIDER_SETTLE_MS);
    };
    $("threshold").addEventListener("input", sliderMoved);
    $("threshold").addEventListener("change", sliderMoved);
    $("threshold-reset").addEventListener("click", () => {
      clearTimeout(state.sliderTimer);
      state.minConfidence = null;
      if (state.info) setSlider(state.info.min_confidence);
      if (state.question) ask();
    });
    $("top-k").addEventListener("change", () => {
      if (state.question) ask();
    });
    $("files").addEventListener("change", async (event) => {
      const files = [...event.target.files];
      event.target.value = "";
      await upload(files);
    });
    const zone = $("dropzone");
    zone.addEventListener("dragover", (event) => {
      event.preventDefault();
      zone.classList.add("over");
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("over");
      upload([...event.dataTransfer.files]);
    });
    $("documents-filter").addEventListener("input", filterDocuments);
    $("documents-previous").addEventListener("click", () => turnPage(-1));
    $("documents-next").addEventListener("click", () => turnPage(1));
    loadInfo();
    loadSourceNames();
    loadDocuments();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
