"""Application settings, read from environment variables and overridden by CLI options or API arguments."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from extractive_qa.errors import InvalidSettings

StoreType = Literal["memory", "elasticsearch"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def default_store_path() -> Path:
    """Where the embedded in-memory store is saved between commands: the user's data directory."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("extractive-qa", appauthor=False)) / "store.json"


def _env_float(name: str) -> float | None:
    value = os.environ.get(name)
    if value in (None, ""):
        return None
    try:
        return float(value)
    except ValueError as error:
        raise InvalidSettings(f"{name} must be a number, got {value!r}") from error


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError as error:
        raise InvalidSettings(f"{name} must be a whole number, got {value!r}") from error


@dataclass(frozen=True)
class Settings:
    """
    Everything the application needs to know besides the pipelines' YAML.

    | setting | environment variable | default |
    |---|---|---|
    | model | `EQA_MODEL` | the reader's model in `pipelines/query.yml` (deepset/roberta-base-squad2) |
    | store | `EQA_STORE` | `memory` (or `elasticsearch`) |
    | store_path | `EQA_STORE_PATH` | `<user data dir>/extractive-qa/store.json` |
    | elasticsearch_url | `EQA_ELASTICSEARCH_URL` | `http://localhost:9200` |
    | elasticsearch_index | `EQA_ELASTICSEARCH_INDEX` | `extractive-qa` |
    | pipelines_dir | `EQA_PIPELINES_DIR` | the project's `pipelines/` |
    | threshold | `EQA_NO_ANSWER_THRESHOLD` | the threshold in the query YAML |
    | max_question_chars | `EQA_MAX_QUESTION_CHARS` | 2000 |

    The Elasticsearch API key, when the cluster needs one, is read from `ELASTIC_API_KEY` by the store itself.
    """

    model: str | None = None
    store: StoreType = "memory"
    store_path: Path = field(default_factory=default_store_path)
    elasticsearch_url: str = "http://localhost:9200"
    elasticsearch_index: str = "extractive-qa"
    pipelines_dir: Path = PROJECT_ROOT / "pipelines"
    threshold: float | None = None
    max_question_chars: int = 2000

    def __post_init__(self) -> None:
        for key in ("store_path", "pipelines_dir"):  # accept strings, keep Paths
            object.__setattr__(self, key, Path(getattr(self, key)).expanduser())
        if self.store not in ("memory", "elasticsearch"):
            raise InvalidSettings(f"store must be 'memory' or 'elasticsearch', got {self.store!r}")
        if self.max_question_chars < 1:
            raise InvalidSettings("max_question_chars must be at least 1")

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Reads the settings from the environment; keyword arguments that are not `None` take precedence."""
        env: dict[str, Any] = {
            "model": os.environ.get("EQA_MODEL") or None,
            "store": os.environ.get("EQA_STORE") or "memory",
            "elasticsearch_url": os.environ.get("EQA_ELASTICSEARCH_URL") or "http://localhost:9200",
            "elasticsearch_index": os.environ.get("EQA_ELASTICSEARCH_INDEX") or "extractive-qa",
            "threshold": _env_float("EQA_NO_ANSWER_THRESHOLD"),
            "max_question_chars": _env_int("EQA_MAX_QUESTION_CHARS", 2000),
        }
        if os.environ.get("EQA_STORE_PATH"):
            env["store_path"] = Path(os.environ["EQA_STORE_PATH"]).expanduser()
        if os.environ.get("EQA_PIPELINES_DIR"):
            env["pipelines_dir"] = Path(os.environ["EQA_PIPELINES_DIR"]).expanduser()
        settings = cls(**env)
        return settings.with_overrides(**overrides)

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with the given values (those that are not `None`) replaced."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})
