"""
Feedback on answers, kept durably in a SQLite file: one rating per answer (a new rating replaces the old one).

Ratings: `up` (the answer is right), `down` (wrong, and its passage does not answer the question), `wrong_span`
(wrong answer, right passage: the answer is elsewhere in it; `correct_answer` may say what it is). Each entry keeps
what the export needs without the document store: the question, the answer, its offset and the whole passage.

The file is `EQA_FEEDBACK_PATH`, by default `feedback.sqlite3` beside the embedded store's file.

Usage example:
```python
from pathlib import Path

from extractive_qa.feedback.store import Feedback, FeedbackStore

store = FeedbackStore(Path("/tmp/feedback.sqlite3"))
store.save(Feedback(answer_id="a1", rating="up", question="Where do I live?", answer="Berlin", answer_start=10,
                    passage="I live in Berlin."))
print(store.count())  # 1
```
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from extractive_qa.errors import FeedbackUnavailable
from extractive_qa.settings import Settings

Rating = Literal["up", "down", "wrong_span"]
RATINGS: tuple[str, ...] = ("up", "down", "wrong_span")
FEEDBACK_FILE_NAME = "feedback.sqlite3"
_SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    answer_id TEXT PRIMARY KEY,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down', 'wrong_span')),
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    answer_start INTEGER NOT NULL,
    passage TEXT NOT NULL,
    document_id TEXT,
    source TEXT,
    page_number INTEGER,
    correct_answer TEXT,
    confidence REAL,
    below_threshold INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL,
    updated TEXT NOT NULL
)
"""


def feedback_path(settings: Settings) -> Path:
    """Where feedback is kept: `EQA_FEEDBACK_PATH`, else `feedback.sqlite3` beside the embedded store's file."""
    configured = os.environ.get("EQA_FEEDBACK_PATH")
    if configured:
        return Path(configured).expanduser()
    return settings.store_path.parent / FEEDBACK_FILE_NAME


@dataclass(frozen=True)
class Feedback:
    """A person's rating of one answer, with the question, the answer and the passage it was found in."""

    answer_id: str
    rating: Rating
    question: str
    answer: str
    answer_start: int
    """Character offset of the answer in `passage`."""
    passage: str
    document_id: str | None = None
    source: str | None = None
    page_number: int | None = None
    correct_answer: str | None = None
    """For `wrong_span`: the right answer, when the person gave it (a span of `passage`)."""
    confidence: float | None = None
    below_threshold: bool = False
    created: str = ""
    updated: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_COLUMNS = [f.name for f in fields(Feedback)]


class FeedbackStore:
    """
    The feedback database (SQLite): every rating is committed before `save` returns.

    Each call opens its own connection, so one store serves concurrent requests.
    """

    def __init__(self, path: Path) -> None:
        """
        :param path: The SQLite file; it and its folder are created on the first `save`.
        """
        self.path = Path(path)

    @contextmanager
    def _connection(self, create: bool) -> Iterator[sqlite3.Connection]:
        if not create and not self.path.exists():
            raise FeedbackUnavailable(f"no feedback is stored yet ({self.path} does not exist)")
        try:
            if create:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(sqlite3.connect(self.path, timeout=30)) as connection:
                connection.row_factory = sqlite3.Row
                version = connection.execute("PRAGMA user_version").fetchone()[0]
                if version not in (0, _SCHEMA_VERSION):
                    raise FeedbackUnavailable(f"{self.path} holds feedback of a newer version ({version})")
                if version == 0:
                    connection.execute(_SCHEMA)
                    connection.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
                    connection.commit()
                yield connection
        except sqlite3.DatabaseError as error:
            raise FeedbackUnavailable(f"cannot use the feedback database {self.path}: {error}") from error
        except OSError as error:
            raise FeedbackUnavailable(f"cannot open the feedback database {self.path}: {error.strerror}") from error

    def save(self, feedback: Feedback) -> Feedback:
        """
        Stores a rating (replacing an earlier rating of the same answer) and commits it.

        :returns: The entry as stored, with its `created` and `updated` times (UTC, ISO 8601).
        """
        if feedback.rating not in RATINGS:
            raise ValueError(f"rating must be one of {', '.join(RATINGS)}, got {feedback.rating!r}")
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with self._connection(create=True) as connection:
            row = connection.execute(
                "SELECT created FROM feedback WHERE answer_id = ?", (feedback.answer_id,)
            ).fetchone()
            stored = replace(feedback, created=row["created"] if row else now, updated=now)
            values = stored.to_dict()
            values["below_threshold"] = int(stored.below_threshold)
            placeholders = ", ".join("?" for _ in _COLUMNS)
            connection.execute(
                f"INSERT OR REPLACE INTO feedback ({', '.join(_COLUMNS)}) VALUES ({placeholders})",
                [values[name] for name in _COLUMNS],
            )
            connection.commit()
        return stored

    def all(self) -> list[Feedback]:
        """Every stored rating, oldest first."""
        with self._connection(create=False) as connection:
            rows = connection.execute(f"SELECT {', '.join(_COLUMNS)} FROM feedback ORDER BY created, answer_id")
            return [Feedback(**{**dict(row), "below_threshold": bool(row["below_threshold"])}) for row in rows]

    def count(self) -> int:
        """The number of rated answers (0 when nothing was stored yet)."""
        if not self.path.exists():
            return 0
        with self._connection(create=False) as connection:
            return int(connection.execute("SELECT COUNT(*) FROM feedback").fetchone()[0])
