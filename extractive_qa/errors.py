"""Errors the application reports to users as one clear line (CLI exit code, HTTP 4xx)."""

from __future__ import annotations

from typing import Any


class QAError(Exception):
    """A problem the user can fix; its message is shown as it is, without a traceback."""

    exit_code = 2
    http_status = 400


class InvalidQuestion(QAError):
    """The question is empty, too long, or not text."""

    http_status = 422


class ModelNotFound(QAError):
    """The reader model could not be loaded from the given name or path."""

    exit_code = 3
    http_status = 500


class StoreUnavailable(QAError):
    """The document store cannot be reached or read."""

    exit_code = 4
    http_status = 503


class NothingIndexed(QAError):
    """A question was asked before any document was indexed."""

    exit_code = 5
    http_status = 409


class SourceNotFound(QAError):
    """A source named for removal is not in the store (or its name is ambiguous); nothing was changed."""

    http_status = 404


class AmbiguousSource(SourceNotFound):
    """A name given for removal names several sources; nothing was changed (name one by its id)."""

    http_status = 409


class InvalidSettings(QAError):
    """A setting (environment variable or option) has a value the application cannot use."""


class StoreWriteFailed(StoreUnavailable):
    """The document store refused to write passages (a read-only index, a full disk, a mapping conflict, ...)."""

    def __init__(self, message: str, sources: list[str] | None = None) -> None:
        """
        :param message: What the store said.
        :param sources: The files whose passages were refused, where the store names them.
        """
        super().__init__(message)
        self.sources = sources


class InvalidText(QAError):
    """A text given for indexing is empty, not text, or carries metadata the application sets itself."""

    http_status = 422


class InvalidField(QAError):
    """A request field has a value its type alone does not rule out (e.g. a threshold that is not finite)."""

    http_status = 422

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class ServerBusy(QAError):
    """Too many requests are waiting for the model; the client should retry later."""

    http_status = 503


class Unauthorized(QAError):
    """The request carries no API key, or a wrong one."""

    http_status = 401


class InvalidDataset(QAError):
    """An evaluation file is missing, not JSON, or not in SQuAD format."""


class EvaluationError(QAError):
    """A problem with an evaluation's input or output that the user can fix."""


class TuningError(QAError):
    """Tuning cannot proceed (no labelled questions, a YAML that cannot be edited, ...)."""


class UnsafeToServe(SystemExit):
    """
    Stops the server at start-up: it would be reachable from other machines without the application's guard.

    A `SystemExit`, so that hayhooks does not skip the pipeline and carry on serving its deploy endpoints.
    """


class InvalidUpload(QAError):
    """No file of an upload can be indexed (empty, wrong type, not what its name says); each file's reason is given."""

    http_status = 422

    def __init__(self, message: str, detail: list[dict[str, Any]] | None = None) -> None:
        """
        :param message: What is wrong with the upload.
        :param detail: Each file's problem, as validation errors naming the file (`loc`: body, files, position).
        """
        super().__init__(message)
        self.detail = detail


class UnknownAnswer(QAError):
    """Feedback names an answer the server did not give (or no longer remembers)."""

    http_status = 404


class FeedbackUnavailable(QAError):
    """The feedback database cannot be opened, read or written."""

    http_status = 503
