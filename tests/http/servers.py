"""What the serving tests share: questions the shared model answers right, server settings, an indexed store."""

from __future__ import annotations

from pathlib import Path

from extractive_qa.testing.processes import HAYHOOKS_ENVIRONMENT, process_environment
from tests.conftest import DATA_DIR

# SQuAD 2.0 dev questions about the bundled articles, with their gold answers (from the official dev file); the
# shared small model answers each of them right from the whole bundled collection.
KNOWN_QUESTIONS: list[tuple[str, list[str], str]] = [
    ("When was the Old Truman Brewery founded?", ["1724"], "Huguenot.txt"),
    ("When was Iqbal elected president of the Muslim League?", ["1930"], "Islamism.txt"),
    (
        "Which fault can produce a magnitude earthquake of 8.0?",
        ["San Andreas", "San Andreas Fault", "the San Andreas Fault"],
        "Southern California.txt",
    ),
    ("When was Scotland invaded by William?", ["1072"], "Normans.txt"),
    ("When is the first reference in history to Warsaw?", ["1313"], "Warsaw.txt"),
    ("When did BSkyB end their analogue service?", ["27 September 2001", "September 2001"], "Sky (United Kingdom).txt"),
]


def server_env(tmp: Path, model: Path, store_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a server process: this checkout's code, the given model and store, no settings inherited."""
    return process_environment(
        EQA_MODEL=str(model),
        EQA_STORE_PATH=str(store_path),
        XDG_CACHE_HOME=str(tmp / "cache"),  # hayhooks keeps a dashboard token there
        HAYHOOKS_LOG_LEVEL="INFO",
        **HAYHOOKS_ENVIRONMENT,
        **extra,
    )


def index_bundled_data(store_path: Path) -> None:
    """Indexes data/ into a store file, in this process (the indexing pipeline needs no model)."""
    from extractive_qa import QuestionAnswerer, Settings

    report = QuestionAnswerer(Settings(store_path=store_path)).index([DATA_DIR])
    assert report.files_read == 35, report.skipped


def deploy_files_payload(marker: Path, name: str = "intruder") -> dict:
    """A `/deploy_files` body whose wrapper module writes `marker` as soon as a server imports it."""
    code = (
        "from pathlib import Path\n"
        f"Path({str(marker)!r}).write_text('imported')\n"
        "from hayhooks import BasePipelineWrapper\n\n\n"
        "class PipelineWrapper(BasePipelineWrapper):\n"
        "    def setup(self) -> None:\n"
        "        self.pipeline = None\n\n"
        "    def run_api(self, text: str) -> str:\n"
        "        return text\n"
    )
    return {"name": name, "files": {"pipeline_wrapper.py": code}, "overwrite": True}
