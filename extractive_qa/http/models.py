"""
The HTTP API's typed requests and responses (pydantic): what `/ask/run`, `/index/run`, `/upload`, `/feedback` and
`/info` take and return (and the MCP tools), with the descriptions the OpenAPI page shows.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from extractive_qa.answers import Answer
from extractive_qa.app.validation import MAX_RETRIEVER_TOP_K, MAX_TOP_K

Scalar = str | int | float | bool | None

# ---- a question's numbers, as the request schemas state them -------------------------------------------------
# The bounds are the rule's own constants (`extractive_qa.app.validation`), whose checks `QuestionAnswerer.ask`
# applies however a question comes; these types only state them in the OpenAPI and MCP schemas (and refuse a value
# outside them before it queues).

#: `top_k`: the number of distinct answers, 1 to `MAX_TOP_K`.
TopK = Annotated[int, Field(strict=True, ge=1, le=MAX_TOP_K)]
#: `retriever_top_k`: the passages the reader reads, 1 to `MAX_RETRIEVER_TOP_K` (null: the query YAML's).
RetrieverTopK = Annotated[int | None, Field(strict=True, ge=1, le=MAX_RETRIEVER_TOP_K)]
#: `min_confidence`: the confidence an answer needs, 0 to 1 exclusive (null: the server's threshold).
MinConfidence = Annotated[float | None, Field(gt=0, lt=1)]

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


def model_of(kind: type, name: str) -> type[BaseModel]:
    """
    The pydantic model of a dataclass as its JSON (`dataclasses.asdict`) shows it: its fields with their types and
    descriptions (each field's `metadata["description"]` and `metadata["examples"]`; the first paragraph of its
    docstring describes the model), every field required, as every object has them all. A field added to the
    dataclass appears in every schema built from it.

    :param kind: The dataclass.
    :param name: The model's name (what OpenAPI and MCP schemas call it).
    """
    hints = typing.get_type_hints(kind)
    fields: dict[str, Any] = {
        item.name: (
            hints[item.name],
            Field(description=item.metadata.get("description"), examples=item.metadata.get("examples")),
        )
        for item in dataclasses.fields(kind)
    }
    summary = inspect.cleandoc(kind.__doc__ or name).split("\n\n")[0]
    return create_model(name, __doc__=summary, **fields)


#: One answer, or the no-answer entry: `extractive_qa.answers.Answer`'s fields, as JSON shows them.
AnswerModel = model_of(Answer, "AnswerModel")


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
