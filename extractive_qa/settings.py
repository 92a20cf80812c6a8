"""
Application settings, read from environment variables and overridden by CLI options or API arguments.

Usage example:
```python
from extractive_qa.settings import Settings

settings = Settings.from_env(model="../models/my-squad-model")  # EQA_* variables, then the overrides
print(settings.store, settings.pipelines_dir)
```
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from extractive_qa.errors import InvalidSettings

StoreType = Literal["embedded", "memory", "elasticsearch"]
STORE_TYPES: tuple[str, ...] = ("embedded", "memory", "elasticsearch")
#: The store the pipelines without a suffix (`query.yml`, `indexing.yml`) use.
DEFAULT_STORE = "embedded"
DEFAULT_MAX_QUESTION_CHARS = 2000
#: Files converted and written per indexing pipeline run (one store commit each). Fewer, larger commits index faster
#: (64 files a batch: 2,494 passages/s into the embedded store against 1,396 with 16, on 2 busy cores); an
#: interrupted run loses at most one batch's work.
DEFAULT_BATCH_SIZE = 64


def packaged_pipelines_dir() -> Path:
    """The folder of the YAML pipelines shipped with the package (`extractive_qa.pipelines`)."""
    import extractive_qa.pipelines

    return Path(extractive_qa.pipelines.__file__).resolve().parent


def user_data_path() -> Path:
    """The application's folder in the user's data directory (`~/.local/share/extractive-qa` on Linux)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("extractive-qa", appauthor=False))


def default_store_path(store: str = DEFAULT_STORE) -> Path:
    """
    Where a store keeps its documents by default, in the user's data directory: the embedded store's index
    directory (`index/`), or the in-memory store's file (`store.json`).
    """
    return user_data_path() / ("store.json" if store == "memory" else "index")


# ---- environment variables ------------------------------------------------------------------------------------------


def env_flag(name: str) -> bool | None:
    """A yes/no environment variable: `None` when unset or empty."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return None
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise InvalidSettings(f"{name} must be 1/true/yes/on or 0/false/no/off, got {os.environ[name]!r}")


def env_number(name: str, default: float | None, minimum: float | None = None, kind: type = int) -> Any:
    """A numeric environment variable (`kind` int or float), `default` when unset or empty."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = kind(value)
    except ValueError as error:
        raise InvalidSettings(f"{name} must be a {'whole ' if kind is int else ''}number, got {value!r}") from error
    if minimum is not None and number < minimum:
        raise InvalidSettings(f"{name} must be at least {minimum}, got {value!r}")
    return number


def env_path(name: str) -> Path | None:
    """A path environment variable (`~` expanded), `None` when unset or empty."""
    value = os.environ.get(name)
    return Path(value).expanduser() if value else None


# ---- the settings ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """
    Everything the application needs to know besides the pipelines' YAML.

    | setting | environment variable | default |
    |---|---|---|
    | model | `EQA_MODEL` | the reader's model in the query YAML (deepset/roberta-base-squad2) |
    | store | `EQA_STORE` | `embedded` (a tantivy index on disk), `memory` (tests, one-off texts) or `elasticsearch` |
    | store_path | `EQA_STORE_PATH` | `<user data dir>/extractive-qa/index` (`store.json` for `memory`) |
    | elasticsearch_url | `EQA_ELASTICSEARCH_URL` | `http://localhost:9200` |
    | elasticsearch_index | `EQA_ELASTICSEARCH_INDEX` | `extractive-qa` |
    | pipelines_dir | `EQA_PIPELINES_DIR` | the pipelines shipped in the package (`extractive_qa.pipelines`) |
    | query_pipeline | `EQA_QUERY_PIPELINE` | the pipelines folder's query YAML for the store (`query.yml`, ...) |
    | threshold | `EQA_NO_ANSWER_THRESHOLD` | the threshold in the query YAML |
    | max_question_chars | `EQA_MAX_QUESTION_CHARS` | 2000 |

    The Elasticsearch API key, when the cluster needs one, is read from `ELASTIC_API_KEY` by the store itself.
    """

    model: str | None = None
    store: StoreType = DEFAULT_STORE
    store_path: Path = None  # type: ignore[assignment]  # None: the store's default (`default_store_path`)
    elasticsearch_url: str = "http://localhost:9200"
    elasticsearch_index: str = "extractive-qa"
    pipelines_dir: Path = field(default_factory=packaged_pipelines_dir)
    #: A query pipeline YAML file used instead of the pipelines folder's (e.g. one `tune-threshold` wrote).
    query_pipeline: Path | None = None
    threshold: float | None = None
    max_question_chars: int = DEFAULT_MAX_QUESTION_CHARS

    def __post_init__(self) -> None:
        if self.store not in STORE_TYPES:
            raise InvalidSettings(f"store must be one of {', '.join(STORE_TYPES)}, got {self.store!r}")
        if self.store_path is None:
            object.__setattr__(self, "store_path", default_store_path(self.store))
        for key in ("store_path", "pipelines_dir"):  # accept strings, keep Paths
            object.__setattr__(self, key, Path(getattr(self, key)).expanduser())
        if self.query_pipeline is not None:
            object.__setattr__(self, "query_pipeline", Path(self.query_pipeline).expanduser())
        if self.max_question_chars < 1:
            raise InvalidSettings("max_question_chars must be at least 1")
        if self.threshold is not None:
            from extractive_qa.components.no_answer_decision import validate_threshold

            try:
                object.__setattr__(self, "threshold", validate_threshold(self.threshold))
            except ValueError as error:
                raise InvalidSettings(f"EQA_NO_ANSWER_THRESHOLD: {error}") from None

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Reads the settings from the environment; keyword arguments that are not `None` take precedence."""
        env: dict[str, Any] = {
            "model": os.environ.get("EQA_MODEL") or None,
            "store": os.environ.get("EQA_STORE") or None,
            "store_path": env_path("EQA_STORE_PATH"),
            "elasticsearch_url": os.environ.get("EQA_ELASTICSEARCH_URL") or None,
            "elasticsearch_index": os.environ.get("EQA_ELASTICSEARCH_INDEX") or None,
            "pipelines_dir": env_path("EQA_PIPELINES_DIR"),
            "query_pipeline": env_path("EQA_QUERY_PIPELINE"),
            "threshold": env_number("EQA_NO_ANSWER_THRESHOLD", None, kind=float),
            "max_question_chars": env_number("EQA_MAX_QUESTION_CHARS", None),
        }
        return cls().with_overrides(**env).with_overrides(**overrides)

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with the given values (those that are not `None`) replaced; a new store gets its default path."""
        changes = {k: v for k, v in overrides.items() if v is not None}
        if "store" in changes and "store_path" not in changes and self.store_path == default_store_path(self.store):
            changes["store_path"] = default_store_path(changes["store"])
        return replace(self, **changes)
