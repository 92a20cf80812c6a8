"""
The web page in headless Chromium (Debian's chromium + chromium-driver, driven by selenium) against one real
`extractive-qa serve` process with the shared small model and an API key: the key prompt, asking (the answer
highlighted in its passage), "no answer", the threshold control, uploading a PDF and a DOCX made here and asking
about them, feedback stored and exported to a file `eval` reads, markup that never runs, a phone-width screen.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from extractive_qa import QuestionAnswerer, Settings
from extractive_qa.evaluation.squad_metric import load_squad
from extractive_qa.testing.browser import chromium, missing_browser
from extractive_qa.testing.documents import docx_file, html_page, pdf_file
from extractive_qa.testing.paths import DATA_DIR
from extractive_qa.testing.processes import Server, run_cli
from extractive_qa.testing.servers import serving

pytestmark = [
    pytest.mark.server,
    pytest.mark.model,
    pytest.mark.timeout(600),
    pytest.mark.skipif(missing_browser() is not None, reason=str(missing_browser())),
]

API_KEY = secrets.token_urlsafe(32)
OXYGEN = "What is the atomic number of oxygen?"
UNANSWERABLE = "Who was the first president of the Moon?"


@pytest.fixture(scope="module")
def server(shared_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("page")
    store = tmp / "store" / "store.json"
    report = QuestionAnswerer(Settings(store_path=store)).index([DATA_DIR / "Oxygen.txt", DATA_DIR / "Normans.txt"])
    assert report.files_read == 2
    with serving(
        tmp, shared_model, store, EQA_API_KEY=API_KEY, EQA_FEEDBACK_PATH=str(tmp / "feedback.sqlite3")
    ) as running:
        running.feedback_path = tmp / "feedback.sqlite3"  # type: ignore[attr-defined]
        yield running


def wait(browser: Any, condition: Callable[[Any], Any], timeout: float = 90) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout, poll_frequency=0.1).until(condition)


def by_css(root: Any, selector: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return root.find_elements(By.CSS_SELECTOR, selector)


def enter_key(browser: Any, key: str) -> None:
    wait(browser, lambda b: b.execute_script("return document.getElementById('key-dialog').open"))
    field = by_css(browser, "#api-key")[0]
    field.clear()
    field.send_keys(key)
    by_css(browser, "#key-submit")[0].click()


def open_page(browser: Any, server: Server) -> None:
    browser.get(f"{server.url}/")
    enter_key(browser, API_KEY)
    wait(browser, lambda b: "passage(s) indexed" in by_css(b, "#passages")[0].text)


@pytest.fixture(scope="module")
def browser(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with chromium(tmp_path_factory.mktemp("chromium") / "profile") as driver:
        open_page(driver, server)
        yield driver


def ask(browser: Any, question: str) -> Any:
    """Types a question, presses Ask, and returns the results element once they are shown."""
    browser.execute_script("document.getElementById('results').replaceChildren()")
    field = by_css(browser, "#question")[0]
    field.clear()
    field.send_keys(question)
    by_css(browser, "#ask-button")[0].click()
    return wait(browser, lambda b: by_css(b, "#results")[0] if by_css(b, "#results > *") else None)


def passages(browser: Any) -> int:
    return int(by_css(browser, "#passages")[0].text.split()[0].replace(",", ""))


def test_the_page_asks_for_the_key_once(server: Server, tmp_path: Path) -> None:
    with chromium(tmp_path / "profile") as driver:
        driver.get(f"{server.url}/")
        enter_key(driver, "not-the-key-" + "x" * 20)
        wait(driver, lambda b: "not accepted" in by_css(b, "#key-error")[0].text)
        assert driver.execute_script("return document.getElementById('key-dialog').open")
        enter_key(driver, API_KEY)
        wait(driver, lambda b: "passage(s) indexed" in by_css(b, "#passages")[0].text)
        assert not driver.execute_script("return document.getElementById('key-dialog').open")
        driver.refresh()  # the same tab: the key is kept, not asked again
        wait(driver, lambda b: "passage(s) indexed" in by_css(b, "#passages")[0].text)
        assert not driver.execute_script("return document.getElementById('key-dialog').open")
        results = ask(driver, OXYGEN)
        assert by_css(results, ".answer .answer-text")[0].text == "8"


def test_ask_shows_the_answer_highlighted_in_its_context(browser: Any) -> None:
    results = ask(browser, OXYGEN)
    first = by_css(results, ".answers .answer")[0]
    assert by_css(first, ".answer-text")[0].text == "8"
    (mark,) = by_css(first, ".context mark")
    assert mark.text == "8"
    assert "atomic number" in by_css(first, ".context")[0].text
    where = by_css(first, ".where")[0].text
    assert where.startswith("Oxygen.txt · confidence ") and "uncalibrated" not in where  # explained, not labelled
    help_text = by_css(browser, "#confidence-help")[0]
    by_css(help_text, "summary")[0].click()
    assert "odds of the span against" in help_text.text and "The threshold is the confidence" in help_text.text
    assert not by_css(results, ".decision.no-answer")
    assert not by_css(first, ".badge.below")[0].is_displayed()


def test_no_answer_is_said_plainly_with_the_best_candidate_below_the_threshold(browser: Any) -> None:
    results = ask(browser, UNANSWERABLE)
    (decision,) = by_css(results, ".decision.no-answer")
    assert decision.text.startswith("No answer — the documents do not seem to answer this question")
    (reason,) = by_css(decision, ".reason")  # why, as the answer object says it (inserted as text)
    assert reason.text == "no passage mentions president" and f": {reason.text}" in decision.text
    assert not by_css(results, ".answers:not(.below-list)")
    candidate = by_css(results, ".below-list .answer")[0]
    assert by_css(candidate, ".badge.below")[0].is_displayed()
    assert by_css(candidate, ".badge.below")[0].text.lower() == "below the threshold"
    (marked,) = by_css(candidate, ".context mark")  # the candidate's span, marked in its context
    assert marked.text == by_css(candidate, ".answer-text")[0].text != ""


def test_the_threshold_control_asks_again(browser: Any) -> None:
    ask(browser, OXYGEN)
    assert not by_css(browser, "#results .decision.no-answer")
    browser.execute_script(
        "const s = document.getElementById('threshold'); s.value = 99; s.dispatchEvent(new Event('input'));"
        "document.getElementById('results').replaceChildren(); s.dispatchEvent(new Event('change'));"
    )
    wait(browser, lambda b: by_css(b, "#results .decision.no-answer"))  # once the slider settles
    assert by_css(browser, "#threshold-value")[0].text == "99%"
    assert by_css(browser, "#results .below-list .answer-text")[0].text == "8"  # still shown, below the threshold
    browser.execute_script("document.getElementById('results').replaceChildren()")
    by_css(browser, "#threshold-reset")[0].click()
    wait(browser, lambda b: by_css(b, "#results .answers .answer"))
    assert not by_css(browser, "#results .decision.no-answer")
    assert by_css(browser, "#threshold-value")[0].text == "50%"


def test_upload_a_pdf_and_a_docx_then_ask_about_them(browser: Any, tmp_path: Path) -> None:
    pdf = tmp_path / "engine.pdf"
    pdf.write_bytes(
        pdf_file(
            [
                "The Quorvex engine was designed in Tallinn in 1911 by the engineer Maret Kask.",
                "On the second page: the Quorvex engine weighs 40 tonnes and runs on peat.",
            ]
        )
    )
    docx = tmp_path / "bridge.docx"
    docx.write_bytes(docx_file(["The Quillington bridge was opened in 1877 by Mayor Olle Tamm."], title="Bridges"))
    before = passages(browser)
    by_css(browser, "#files")[0].send_keys(f"{pdf}\n{docx}")
    wait(browser, lambda b: len(by_css(b, "#uploads li.indexed")) >= 2)
    texts = [item.text for item in by_css(browser, "#uploads li.indexed")]
    assert "engine.pdf — indexed: 1 passage(s)" in texts and "bridge.docx — indexed: 1 passage(s)" in texts
    wait(browser, lambda b: passages(b) == before + 2)

    first = by_css(ask(browser, "How much does the Quorvex engine weigh?"), ".answers .answer")[0]
    assert by_css(first, ".answer-text")[0].text == "40 tonnes"
    assert by_css(first, ".where")[0].text.startswith("engine.pdf · page 2 · confidence")
    first = by_css(ask(browser, "When was the Quillington bridge opened?"), ".answers .answer")[0]
    assert by_css(first, ".answer-text")[0].text == "1877"
    assert by_css(first, ".where")[0].text.startswith("bridge.docx · confidence")


def test_files_that_cannot_be_indexed_say_why(browser: Any, tmp_path: Path) -> None:
    (tmp_path / "fake.pdf").write_text("this is not a PDF")
    (tmp_path / "empty.txt").write_bytes(b"")
    before = passages(browser)
    by_css(browser, "#files")[0].send_keys(f"{tmp_path / 'fake.pdf'}\n{tmp_path / 'empty.txt'}")
    wait(
        browser,
        lambda b: (
            len([li for li in by_css(b, "#uploads li.skipped") if "fake.pdf" in li.text or "empty.txt" in li.text]) == 2
        ),
    )
    texts = " | ".join(item.text for item in by_css(browser, "#uploads li.skipped"))
    assert "fake.pdf — skipped: fake.pdf: not a PDF file (no %PDF- header)" in texts
    assert "empty.txt — skipped: empty.txt: empty file" in texts
    assert passages(browser) == before


def rate(answer: Any, rating: str) -> None:
    by_css(answer, f"button[data-rating='{rating}']")[0].click()


def test_feedback_is_stored_and_exported_to_a_file_eval_reads(
    browser: Any, server: Server, shared_model: Path, tmp_path: Path
) -> None:
    right = by_css(ask(browser, OXYGEN), ".answers .answer")[0]
    rate(right, "up")
    wait(browser, lambda b: by_css(right, ".feedback-status")[0].text == "Thanks, saved.")
    assert by_css(right, "button[data-rating='up']")[0].get_attribute("aria-pressed") == "true"

    wrong = by_css(ask(browser, UNANSWERABLE), ".below-list .answer")[0]
    rate(wrong, "down")
    wait(browser, lambda b: by_css(wrong, ".feedback-status")[0].text == "Thanks, saved.")

    candidate = by_css(ask(browser, "In what country is Normandy located?"), ".answer")[0]
    rate(candidate, "wrong_span")
    correction = by_css(candidate, ".correct-answer")[0]
    wait(browser, lambda b: correction.is_displayed())
    assert by_css(candidate, ".feedback-status")[0].text.startswith("Not saved yet: select the right answer")
    correction.send_keys("France")
    by_css(candidate, ".correction button")[0].click()
    wait(browser, lambda b: by_css(candidate, ".feedback-status")[0].text.startswith(("Thanks", "Saved, but")))

    env = {"EQA_FEEDBACK_PATH": str(server.feedback_path)}  # type: ignore[attr-defined]
    exported = tmp_path / "feedback.json"
    done = run_cli("feedback", "export", str(exported), env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    dataset = load_squad(exported)
    questions = {q.question: q for q in dataset.questions}
    assert questions[OXYGEN].answers == ("8",)
    assert questions[UNANSWERABLE].answers == ()  # unanswerable over the rated passage
    eval_dir = str(tmp_path / "eval")
    evaluated = run_cli(
        "eval", str(exported), "--model", str(shared_model), "--output", eval_dir, "--no-progress", env=env
    )
    assert evaluated.returncode == 0, evaluated.stderr
    assert f"{exported}: {len(dataset)} questions, reader mode" in evaluated.stdout
    assert (tmp_path / "eval" / "report.json").exists()
    tuned = run_cli(
        "tune-threshold",
        str(exported),
        "--model",
        str(shared_model),
        "--dry-run",
        "--no-progress",
        "--eval-dir",
        eval_dir,
        env=env,
    )
    assert tuned.returncode == 0, tuned.stderr
    assert tuned.stdout.startswith(f"tuned on {exported} ({len(dataset)} questions, reader mode)")


def test_markup_in_documents_and_questions_never_runs(browser: Any, server: Server, tmp_path: Path) -> None:
    payload = "<img src=x onerror=\"window.__xss='{}'\">"
    text = (
        f"The Glimmer pact was signed in Vardo in 1602. {payload.format('document')} "
        "<script>window.__xss='script'</script> It was signed by twelve mayors."
    )
    indexed = requests.post(
        f"{server.url}/index/run",
        json={"documents": [{"name": "pact <b>notes<i>.txt", "content": text}]},
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=60,
    )
    assert indexed.status_code == 200, indexed.text
    page = tmp_path / "pact.html"
    page.write_text(html_page("The pact", [f"The Glimmer pact was kept in a chest. {payload.format('html')}"]))
    by_css(browser, "#files")[0].send_keys(str(page))
    wait(browser, lambda b: any("pact.html" in li.text for li in by_css(b, "#uploads li.indexed")))

    results = ask(browser, f"Where was the Glimmer pact signed? {payload.format('question')}")
    assert browser.execute_script("return window.__xss") is None
    assert browser.execute_script("return document.querySelectorAll('img[src=\"x\"], #results script').length") == 0
    first = by_css(results, ".answers .answer, .below-list .answer")[0]
    assert by_css(first, ".answer-text")[0].text == "Vardo"
    context = by_css(first, ".context")[0].text
    assert payload.format("document") in context and "<script>window.__xss='script'</script>" in context  # as text
    assert by_css(first, ".where")[0].text.startswith("pact <b>notes<i>.txt ·")  # as text, not markup
    assert not by_css(results, "b")


def test_phone_width_keyboard_and_labels(server: Server, tmp_path: Path) -> None:
    from selenium.webdriver.common.keys import Keys

    with chromium(tmp_path / "profile", width=375, height=812, phone=True) as phone:
        open_page(phone, server)
        field = by_css(phone, "#question")[0]
        field.send_keys(OXYGEN, Keys.ENTER)  # the keyboard alone asks
        wait(phone, lambda b: by_css(b, "#results .answer"))
        assert phone.execute_script("return window.innerWidth") == 375
        assert phone.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1")
        unlabelled = phone.execute_script(
            """
            const named = (el) => (el.labels && el.labels.length) || el.getAttribute('aria-label')
                || el.textContent.trim() || el.type === 'hidden' || el.hidden;
            return [...document.querySelectorAll('input, button, select, textarea')]
                .filter((el) => !named(el)).map((el) => el.outerHTML);
            """
        )
        assert unlabelled == []
        phone.save_screenshot(str(tmp_path / "phone.png"))


# ---- issue 26: a new user's first hour on the page ----------------------------------------------------------------


def count_asks(browser: Any) -> None:
    """Counts the page's `POST ask/run` requests from now on (`window.__asks`)."""
    browser.execute_script(
        """
        window.__asks = 0;
        if (!window.__fetchCounted) {
          const original = window.fetch;
          window.fetch = (path, init) => {
            if (String(path).startsWith('ask/run')) window.__asks += 1;
            return original(path, init);
          };
          window.__fetchCounted = true;
        }
        """
    )


def test_the_slider_asks_once_it_settles_not_per_arrow_key(browser: Any) -> None:
    import time

    from selenium.webdriver.common.keys import Keys

    ask(browser, OXYGEN)
    count_asks(browser)
    slider = by_css(browser, "#threshold")[0]
    start = int(slider.get_attribute("value"))
    for _ in range(10):  # ten arrow presses within a second
        slider.send_keys(Keys.ARROW_RIGHT)
    assert by_css(browser, "#threshold-value")[0].text == f"{start + 10}%"  # the text follows at once
    assert browser.execute_script("return window.__asks") == 0  # still moving: nothing asked yet
    wait(browser, lambda b: b.execute_script("return window.__asks") == 1)
    time.sleep(1.0)
    assert browser.execute_script("return window.__asks") == 1  # one question for the ten steps
    by_css(browser, "#threshold-reset")[0].click()
    wait(browser, lambda b: by_css(b, "#threshold-value")[0].text == "50%")


def test_upload_results_appear_next_to_the_upload_control(browser: Any, tmp_path: Path) -> None:
    ask(browser, OXYGEN)  # answers on the page: the upload result must not land below them
    note = tmp_path / "ferry notes.md"
    note.write_text("# Ferries\n\nThe Hessel ferry leaves at nine.\n", encoding="utf-8")
    by_css(browser, "#files")[0].send_keys(str(note))
    wait(browser, lambda b: any("ferry notes.md" in li.text for li in by_css(b, "#uploads li.indexed")))
    item = by_css(browser, "#uploads li")[0]  # newest first
    assert "ferry notes.md — indexed" in item.text
    control = by_css(browser, "#dropzone")[0].rect
    below_control = item.rect["y"] - (control["y"] + control["height"])
    assert 0 <= below_control < 150, below_control
    assert item.rect["y"] < by_css(browser, "#results")[0].rect["y"]  # above the answers, not under them


def test_scope_to_documents_and_choose_how_many_answers(browser: Any) -> None:
    from selenium.webdriver.support.ui import Select

    Select(by_css(browser, "#top-k")[0]).select_by_value("3")
    scope = by_css(browser, "#sources")[0]
    scope.clear()
    scope.send_keys("Oxygen.txt")
    try:
        results = ask(browser, "Who ruled the Duchy of Normandy?")  # its answer is in Normans.txt, not searched
        answers = by_css(results, ".answer")
        assert len(answers) == 3  # three answers shown, above or below the threshold
        assert all(by_css(a, ".where")[0].text.startswith("Oxygen.txt ·") for a in answers)
        scope.clear()
        scope.send_keys("Nope.txt, Oxygen.txt")
        # submitted as Enter in a field does (a click could first close the field's suggestions)
        browser.execute_script(
            "document.getElementById('ask-status').textContent = '';document.getElementById('ask-form').requestSubmit()"
        )
        wait(browser, lambda b: by_css(b, "#ask-status")[0].text.startswith("Not answered"))
        assert "not indexed: Nope.txt" in by_css(browser, "#ask-status")[0].text
    finally:
        scope.clear()
        browser.execute_script("document.getElementById('top-k').value = '5'")  # no new question


def test_wrong_answer_right_passage_is_saved_only_with_the_right_answer(
    browser: Any, server: Server, tmp_path: Path
) -> None:
    import sqlite3

    def ratings() -> int:
        path = server.feedback_path  # type: ignore[attr-defined]
        if not path.exists():
            return 0
        with sqlite3.connect(path) as db:
            found = db.execute("select name from sqlite_master where name = 'feedback'").fetchone()
            return db.execute("select count(*) from feedback").fetchone()[0] if found else 0

    question = "Which atomic number does oxygen have?"
    scope = by_css(browser, "#sources")[0]
    scope.clear()
    scope.send_keys("Oxygen.txt")
    try:
        candidate = by_css(ask(browser, question), ".answer")[0]
    finally:
        scope.clear()
    before = ratings()
    rate(candidate, "wrong_span")
    status = by_css(candidate, ".feedback-status")[0]
    assert status.text.startswith("Not saved yet") and "Thanks" not in status.text
    by_css(candidate, ".correction button")[0].click()  # saving with nothing typed
    assert status.text == "Not saved: type or select the right answer first."
    assert ratings() == before  # nothing was sent
    by_css(candidate, ".correct-answer")[0].send_keys("8")
    by_css(candidate, ".correction button")[0].click()
    wait(browser, lambda b: status.text != "Saving…")
    assert status.text == "Thanks, saved."
    assert ratings() == before + 1
    exported = tmp_path / "feedback.json"
    done = run_cli("feedback", "export", str(exported), env={"EQA_FEEDBACK_PATH": str(server.feedback_path)})  # type: ignore[attr-defined]
    assert done.returncode == 0, done.stderr
    questions = {q.question: q for q in load_squad(exported).questions}
    assert questions[question].answers == ("8",)  # the rating is in the export, with its answer


def document_names(browser: Any) -> list[str]:
    """The names in the documents list, read in one go (the list is replaced whenever it loads)."""
    return browser.execute_script(
        "return [...document.querySelectorAll('#documents-list td.name')].map((cell) => cell.textContent)"
    )


def filter_documents(browser: Any, text: str) -> None:
    field = by_css(browser, "#documents-filter")[0]
    field.clear()
    if text:
        field.send_keys(text)
    else:  # clear() sends no input event
        browser.execute_script("document.getElementById('documents-filter').dispatchEvent(new Event('input'))")


def test_the_documents_view_lists_filters_pages_and_removes_after_asking(browser: Any, server: Server) -> None:
    key = {"Authorization": f"Bearer {API_KEY}"}
    hostile = "<img src=x onerror=\"window.__xss='documents'\"> <b>Zorvex ledger.txt"  # no '/': a name has none
    texts = [{"name": hostile, "content": "The Zorvex ledger lists 14 ships."}]
    texts += [{"name": f"Zorvex page {n:02}.txt", "content": f"Zorvex page {n} lists {n} ships."} for n in range(24)]
    indexed = requests.post(f"{server.url}/index/run", json={"documents": texts}, headers=key, timeout=60)
    assert indexed.status_code == 200, indexed.text
    try:
        browser.refresh()
        wait(browser, lambda b: "passage(s) indexed" in by_css(b, "#passages")[0].text)
        wait(browser, lambda b: "Oxygen.txt" in document_names(b))
        total = requests.get(f"{server.url}/sources", params={"limit": 500}, headers=key, timeout=60).json()["total"]
        assert len(document_names(browser)) == min(total, 20)  # a page of 20
        assert by_css(browser, "#documents-page")[0].text == f"1–20 of {total}"

        filter_documents(browser, "zorvex")  # the search: 25 names hold it, shown 20 and then 5
        wait(browser, lambda b: by_css(b, "#documents-page")[0].text == "1–20 of 25")
        assert all("zorvex" in name.casefold() for name in document_names(browser))
        assert document_names(browser)[0] == hostile  # the name as text: no image, no bold, nothing run
        by_css(browser, "#documents-next")[0].click()
        wait(browser, lambda b: by_css(b, "#documents-page")[0].text == "21–25 of 25")
        assert document_names(browser) == [f"Zorvex page {n}.txt" for n in range(19, 24)]
        assert browser.execute_script("return window.__xss") is None
        assert not by_css(browser, "#documents-list img, #documents-list b")

        filter_documents(browser, "ledger")
        wait(browser, lambda b: document_names(b) == [hostile])
        before = passages(browser)
        remove = by_css(browser, "#documents-list button.remove")[0]
        remove.click()  # asks first: declined, nothing removed
        alert = wait(browser, lambda b: b.switch_to.alert)
        assert hostile in alert.text and "1 passage(s)" in alert.text
        alert.dismiss()
        assert document_names(browser) == [hostile] and passages(browser) == before
        remove.click()
        wait(browser, lambda b: b.switch_to.alert).accept()
        wait(browser, lambda b: document_names(b) == [] and passages(b) == before - 1)
        assert by_css(browser, "#documents-status")[0].text == f"Removed {hostile} (1 passage(s))."
        listed = requests.get(f"{server.url}/sources", params={"name": "ledger"}, headers=key, timeout=60).json()
        assert listed["total"] == 0
        assert browser.execute_script("return window.__xss") is None
    finally:
        for name in [text["name"] for text in texts]:
            requests.delete(f"{server.url}/sources/{requests.utils.quote(name, safe='')}", headers=key, timeout=60)
        filter_documents(browser, "")


def test_a_removal_the_server_refuses_is_said_in_the_page(browser: Any, server: Server) -> None:
    key = {"Authorization": f"Bearer {API_KEY}"}
    texts = [{"name": "Quillon notes.txt", "content": "The Quillon notes are short."}]
    assert requests.post(f"{server.url}/index/run", json={"documents": texts}, headers=key, timeout=60).ok
    filter_documents(browser, "quillon")
    wait(browser, lambda b: document_names(b) == ["Quillon notes.txt"])
    source = requests.get(f"{server.url}/sources", params={"name": "quillon"}, headers=key, timeout=60).json()
    assert requests.delete(f"{server.url}/sources/{source['sources'][0]['id']}", headers=key, timeout=60).ok
    by_css(browser, "#documents-list button.remove")[0].click()  # removed meanwhile elsewhere: a 404
    wait(browser, lambda b: b.switch_to.alert).accept()
    wait(browser, lambda b: "Not removed:" in by_css(b, "#documents-status")[0].text)
    assert "no source" in by_css(browser, "#documents-status")[0].text
    filter_documents(browser, "")


def test_an_upload_shows_in_the_documents_list(browser: Any, tmp_path: Path) -> None:
    note = tmp_path / "Brantor memo.txt"
    note.write_text("The Brantor memo was filed in 1887.", "utf-8")
    filter_documents(browser, "brantor")
    wait(browser, lambda b: "No document's name holds that." in by_css(b, "#documents-status")[0].text)
    by_css(browser, "#files")[0].send_keys(str(note))
    wait(browser, lambda b: document_names(b) == ["Brantor memo.txt"])
    filter_documents(browser, "")
