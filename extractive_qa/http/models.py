"""
The HTTP API's typed requests and responses (pydantic): what `/ask/run` and `/index/run` take and return, with the
descriptions the OpenAPI page shows.
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
    file_path: str | None = Field(description="The path (or indexed text name) the passage comes from.")
    document_meta: dict[str, Any] = Field(
        default_factory=dict, description="The passage's metadata (file_name, split_id, split_idx_start, ...)."
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


class AskResult(BaseModel):
    """The answers to one question, best first."""

    question: str = Field(description="The question as answered (surrounding white space removed).")
    no_answer: bool = Field(
        description="True when the decision is that the documents hold no answer (the first entry is no-answer)."
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
