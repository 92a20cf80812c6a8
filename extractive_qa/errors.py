"""Errors the application reports to users as one clear line (CLI exit code, HTTP 4xx)."""

from __future__ import annotations


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


class InvalidSettings(QAError):
    """A setting (environment variable or option) has a value the application cannot use."""


class StoreWriteFailed(StoreUnavailable):
    """The document store refused to write passages (a read-only index, a full disk, a mapping conflict, ...)."""
