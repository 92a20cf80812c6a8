"""
The HTTP API's typed requests and responses (pydantic): what `/ask/run`, `/index/run`, `/upload`, `/feedback` and
`/info` take and return (and the MCP tools), with the descriptions the OpenAPI page shows.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Scalar = str | int | float | bool | None

# ---- requests -------------------------------------------------------------------------------------------------


class FilterCondition(BaseModel):
    """One comparison on a document field, in Haystack's filter syntax."""

    model_config = ConfigDict(extra="forbid")

    field: str = Field(
        min_length=1,
        max_length=200,
        description="The field compared: `meta.<key>` for metadata (e.g. `meta.file_name`), `content` or `id`.",
        examples=["meta.file_name"],
    )
    operator: Literal["==", "!=", ">", ">=", "<", "<=", "in", "not in"] = Field(
        description="The comparison; `in` and `not in` take a list as `value`."
    )
    value: Scalar | list[Scalar] = Field(description="The value compared with.", examples=["Normans.txt"])


class FilterGroup(BaseModel):
    """Conditions combined with AND, OR or NOT (NOT negates the AND of its conditions)."""

    model_config = ConfigDict(extra="forbid")

    operator: Literal["AND", "OR", "NOT"] = Field(description="How the conditions combine.")
    conditions: list[FilterCondition | FilterGroup] = Field(
        min_length=1, max_length=50, description="The conditions: comparisons or further groups."
    )


Filters = FilterCondition | FilterGroup


class TextDocument(BaseModel):
    """A text to index, given in the request body (the server never reads a path named in a request)."""

    model_config = ConfigDict(extra="forbid")

    content: str = Field(min_length=1, description="The text. It is split into passages of 200 words.")
    name: str | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        description=(
            "Identifies the text in the store (as `meta.file_name`, and the answers' `source`): indexing the "
            "same name again replaces the text's passages. Default: a digest of the content."
        ),
        examples=["berlin-notes.txt"],
    )
    meta: dict[str, Scalar] = Field(
        default_factory=dict,
        description=(
            "Metadata stored with every passage of the text, usable in filters as `meta.<key>`. Keys starting with "
            "`_` and the keys the pipeline sets (file_path, file_name, source_id, parent_id, split_id, "
            "split_idx_start, page_number, encoding) are refused."
        ),
        examples=[{"topic": "travel"}],
    )


# ---- responses ------------------------------------------------------------------------------------------------


class AnswerModel(BaseModel):
    """One answer, or the no-answer entry (`text` is null)."""

    text: str | None = Field(description="The answer span, exactly as in the passage; null for the no-answer entry.")
    score: float = Field(
        description="The answer's score in [0, 1]; for the no-answer entry, the model's probability of no answer."
    )
    document_id: str | None = Field(description="The id of the passage the answer was found in.")
    source: str | None = Field(description="The file name (or indexed text name) the passage comes from.")
    file_path: str | None = Field(
        description=(
            "The path the passage comes from on the server's disk: null unless the server is set to show it "
            "(EQA_SHOW_FILE_PATHS=1); `source` names the file."
        )
    )
    document_meta: dict[str, Any] = Field(
        default_factory=dict,
        description="The passage's metadata (file_name, split_id, split_idx_start, page_number, ...).",
    )
    start: int | None = Field(description="Character offset of the answer's start in the passage.")
    end: int | None = Field(description="Character offset just after the answer's end in the passage.")
    context: str | None = Field(description="The text around the answer (up to 150 characters on each side).")
    context_start: int | None = Field(description="Character offset of the answer's start in `context`.")
    context_end: int | None = Field(description="Character offset just after the answer's end in `context`.")
    meta: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "The reader's evidence: `null_score_diff`, `supporting_documents` and `support` (passages that gave the "
            "same answer); for the no-answer entry `answerable`, `signal` and `threshold`."
        ),
    )
    answer_id: str | None = Field(
        default=None,
        description="The answer's id (the same question and span always get the same id): rate it "
        "with POST /feedback. Null for the no-answer entry.",
    )
    page_number: int | None = Field(
        default=None,
        description="The page the answer span stands on, in PDF documents; null elsewhere.",
    )
    confidence: float | None = Field(
        default=None,
        description=(
            "A confidence people can read, 0 to 1: the calibrated answerability probability where the no-answer "
            "decision is calibrated, else the model's odds of this span against no answer. For the no-answer entry: "
            "1 minus the best answer's."
        ),
    )
    confidence_basis: Literal["calibrated", "null_score", "score"] | None = Field(
        default=None,
        description="What `confidence` is: `calibrated` (fitted by tune-threshold), `null_score` (uncalibrated), "
        "`score` (the reader's score, where the reader gives no null score).",
    )
    below_threshold: bool = Field(
        default=False, description="True for answers that did not clear the no-answer threshold (after the entry)."
    )
    reason: str | None = Field(
        default=None,
        description=(
            'Why, in one short phrase: on the no-answer entry, why the decision is no answer (e.g. "no passage '
            'mentions Veltmark", "the best candidate is below the threshold"); on an answer below the threshold, '
            "why it did not pass. Null on answers given."
        ),
        examples=["no passage mentions Veltmark"],
    )


class AskResult(BaseModel):
    """The answers to one question, best first."""

    question: str = Field(description="The question as answered (surrounding white space removed).")
    no_answer: bool = Field(
        description="True when the decision is that the documents hold no answer (the first entry is no-answer)."
    )
    min_confidence: float | None = Field(
        default=None,
        description="The confidence an answer needed under the threshold applied to this question (0 to 1, the unit "
        "of `confidence`); null when no decision was recorded.",
    )
    answers: list[AnswerModel] = Field(
        description=(
            "The answers that cleared the no-answer threshold, then the no-answer entry, then answers that did not."
        )
    )


class SkippedText(BaseModel):
    """A text that gave no passage."""

    name: str = Field(description="The text's name.")
    reason: str = Field(description="Why nothing was indexed.")


class IndexResult(BaseModel):
    """What an indexing request did."""

    documents_indexed: int = Field(description="The number of texts indexed.")
    passages_written: int = Field(description="Passages written (new or replaced).")
    passages_removed: int = Field(description="Outdated passages of re-indexed texts that were removed.")
    skipped: list[SkippedText] = Field(default_factory=list, description="Texts that gave no passage.")
    names: list[str] = Field(description="The names the texts are stored under, in request order.")
    passages_in_store: int = Field(description="The number of passages in the store afterwards.")
    seconds: float = Field(description="Time spent indexing.")


class UploadedFile(BaseModel):
    """What became of one uploaded file."""

    name: str = Field(description="The name the file is stored under (the last part of the name sent).")
    status: Literal["indexed", "skipped"] = Field(description="Whether the file was indexed.")
    passages: int = Field(default=0, description="The passages the file gave.")
    reason: str | None = Field(default=None, description="Why the file was skipped.")


class UploadResult(BaseModel):
    """What an upload did, file by file."""

    files: list[UploadedFile] = Field(description="Each uploaded file, in request order.")
    files_indexed: int = Field(description="The number of files indexed.")
    passages_written: int = Field(description="Passages written (new or replaced).")
    passages_removed: int = Field(description="Outdated passages of re-uploaded files that were removed.")
    passages_in_store: int = Field(description="The number of passages in the store afterwards.")
    seconds: float = Field(description="Time spent indexing.")


class FeedbackRequest(BaseModel):
    """A rating of one answer the server gave."""

    model_config = ConfigDict(extra="forbid")

    answer_id: str = Field(
        min_length=1, max_length=64, description="The answer's `answer_id`, from an answer this server gave."
    )
    rating: Literal["up", "down", "wrong_span"] = Field(
        description=(
            "`up`: the answer is right; `down`: wrong, and its passage does not answer the question; `wrong_span`: "
            "wrong answer, right passage (the answer is elsewhere in the passage)."
        )
    )
    correct_answer: str | None = Field(
        default=None,
        min_length=1,
        max_length=1000,
        description="For `wrong_span`: the right answer, exactly as it stands in the passage (optional).",
    )


class FeedbackResult(BaseModel):
    """The stored rating."""

    answer_id: str = Field(description="The rated answer.")
    rating: str = Field(description="The rating stored (it replaces an earlier rating of the same answer).")
    correct_answer_found: bool | None = Field(
        description="For `wrong_span` with `correct_answer`: whether that text stands in the passage."
    )
    ratings_stored: int = Field(description="The number of rated answers stored on the server.")


class InfoResult(BaseModel):
    """What the page needs to know about the server."""

    passages_in_store: int = Field(description="The number of passages in the store.")
    signal: str = Field(description="The no-answer decision's signal: null_score_diff, score or calibrated.")
    threshold: float = Field(description="The no-answer threshold the server applies by default.")
    min_confidence: float = Field(
        description="The same threshold as the confidence an answer needs (0 to 1), the unit answers show: what "
        "`min_confidence` of /ask/run sets."
    )
    calibrated: bool = Field(description="Whether the no-answer decision is calibrated (confidence is a probability).")
    accepted_files: list[str] = Field(description="The file name suffixes an upload takes.")
    max_upload_bytes: int = Field(description="The largest upload request, in bytes (EQA_MAX_UPLOAD_BYTES).")
    max_files: int = Field(description="The most files one upload takes (EQA_MAX_DOCUMENTS).")
    max_question_chars: int = Field(description="The longest question accepted (EQA_MAX_QUESTION_CHARS).")


class SourceModel(BaseModel):
    """One source in the store: a file, text or upload, and its passages."""

    id: str = Field(description="The source's id (a digest of where it came from): what `DELETE /sources/{id}` takes.")
    name: str = Field(description="Its name: what answers cite as `source`, and what `meta.file_name` filters on.")
    path: str | None = Field(description="Its path on the server; null unless EQA_SHOW_FILE_PATHS=1.")
    type: str = Field(description="The document type: text, Markdown, PDF, HTML, Word.")
    passages: int = Field(description="Its passages in the store.")
    pages: int | None = Field(description="The last page a passage stands on, where passages carry page numbers.")
    size: int | None = Field(
        description="Its size in bytes when indexed (null for passages indexed before sources were recorded)."
    )
    modified: str | None = Field(
        description="A file's modification time as indexed: the version the store holds (UTC, ISO 8601); null for "
        "texts and uploads."
    )


class SourcesResult(BaseModel):
    """A page of the store's sources, sorted by name."""

    total: int = Field(description="The sources that match the filter (all pages).")
    offset: int = Field(description="The position of this page's first source.")
    limit: int = Field(description="The most sources a page holds.")
    passages_in_store: int = Field(description="The number of passages in the store.")
    sources: list[SourceModel] = Field(description="This page's sources.")


class RemovedSource(BaseModel):
    """What `DELETE /sources/{source}` removed."""

    source: SourceModel = Field(description="The source removed (as it was).")
    passages_removed: int = Field(description="Its passages removed from the store.")
    passages_in_store: int = Field(description="The passages left in the store.")


class StatusResult(BaseModel):
    """Whether the server can answer: it is up, and its store can be read."""

    status: Literal["Up!", "store unreadable"] = Field(description="`Up!`, or what keeps the server from answering.")
    pipelines: list[str] = Field(description="The served pipelines (`/{name}/run`).")
    store: Literal["ok", "empty", "unreadable"] = Field(
        description="The store: `ok`, `empty` (nothing indexed yet) or `unreadable` (damaged or unreachable)."
    )
    detail: str | None = Field(default=None, description="What is wrong with the store, when something is.")
