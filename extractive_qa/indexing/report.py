"""What an indexing run did: files read, files skipped with their reasons, passages written and removed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class IndexReport:
    """What an indexing run did."""

    files_read: int = 0
    """Files (texts, uploads) indexed: the new and the changed ones."""
    new: int = 0
    """Files indexed for the first time."""
    changed: int = 0
    """Files indexed before and changed since (their old passages replaced)."""
    unchanged: int = 0
    """Files left as they were indexed (the same size and modification time, or the same content)."""
    removed: int = 0
    """Sources removed because their file is gone from the folders indexed (`index --sync`)."""
    skipped: list[tuple[str, str]] = field(default_factory=list)
    passages_written: int = 0
    passages_removed: int = 0
    seconds: float = 0.0
    passages_per_source: dict[str, int] = field(default_factory=dict)
    """The passages each indexed source (file path, text or upload name) gave."""

    def summary(self) -> str:
        """One line for people: files indexed, passages written, files skipped."""
        line = f"indexed {self.files_read} file(s) into {self.passages_written} passage(s) in {self.seconds:.1f} s"
        if self.new or self.changed or self.unchanged:
            line += f" ({self.new} new, {self.changed} changed, {self.unchanged} unchanged)"
        if self.removed:
            line += f"; removed {self.removed} file(s) gone from the folders"
        if self.passages_removed:
            line += f", removed {self.passages_removed} outdated passage(s)"
        if self.skipped:
            line += f"; skipped {len(self.skipped)} file(s)"
        return line

    def to_dict(self) -> dict[str, Any]:
        return {
            "files_read": self.files_read,
            "new": self.new,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "skipped": [{"path": p, "reason": r} for p, r in self.skipped],
            "passages_written": self.passages_written,
            "passages_removed": self.passages_removed,
            "seconds": round(self.seconds, 3),
        }
