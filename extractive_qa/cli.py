"""
The command line: `extractive-qa index PATH...`, `extractive-qa ask "question"`, and friends.

Only the standard library is imported until a command runs, so `--help` and `--version` answer at once; each
command imports what it needs.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

from extractive_qa.errors import QAError
from extractive_qa.settings import DEFAULT_BATCH_SIZE
from extractive_qa.utils import json_safe, printable


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", help="reader model: a Hugging Face id or a local directory (env EQA_MODEL)")
    parser.add_argument(
        "--store",
        choices=["embedded", "memory", "elasticsearch"],
        help="document store (env EQA_STORE; default embedded: a tantivy index in the user data dir)",
    )
    parser.add_argument(
        "--store-path", help="the embedded store's index directory, or the memory store's file (env EQA_STORE_PATH)"
    )
    parser.add_argument("--elasticsearch-url", help="Elasticsearch URL (env EQA_ELASTICSEARCH_URL)")
    parser.add_argument("--elasticsearch-index", help="Elasticsearch index (env EQA_ELASTICSEARCH_INDEX)")
    parser.add_argument("--pipelines-dir", help="folder of the YAML pipelines (env EQA_PIPELINES_DIR)")
    parser.add_argument(
        "--pipeline",
        metavar="FILE",
        help="the query pipeline YAML to use instead of the pipelines folder's, e.g. the one tune-threshold wrote "
        "(env EQA_QUERY_PIPELINE)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show library logs and tracebacks")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="extractive-qa",
        description="Extractive question answering over your documents (Haystack + deepset/roberta-base-squad2).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)

    index = commands.add_parser("index", help="index files and folders (.txt, .md, .pdf, .html, .docx) into the store")
    index.add_argument("paths", nargs="+", help="files and folders")
    index.add_argument(
        "--batch-size",
        type=int,
        default=DEFAULT_BATCH_SIZE,
        help=f"files per pipeline run, one store commit each (default {DEFAULT_BATCH_SIZE})",
    )
    index.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    index.add_argument(
        "--sync", action="store_true", help="also remove the passages of files gone from these folders (or files)"
    )
    index.add_argument("--full", action="store_true", help="index unchanged files too (default: only new and changed)")
    index.add_argument("--json", action="store_true", help="print the report as JSON")
    index.add_argument(
        "--watch",
        action="store_true",
        help="keep the store in sync with these folders while it runs: sync them first (as --sync), then index "
        "files added or changed and remove files deleted as they happen, one line per batch; Ctrl-C stops",
    )
    _common(index)

    ask = commands.add_parser("ask", help="answer questions from the indexed documents")
    ask.add_argument(
        "questions",
        nargs="*",
        metavar="question",
        help="one or more questions; none, on a terminal, opens a prompt that answers question after question "
        "(the model loaded once; history and line editing; Ctrl-D leaves)",
    )
    ask.add_argument(
        "--top-k",
        type=int,
        default=3,
        help="number of answers shown (default 3): those above the no-answer threshold first, then the best "
        "candidates below it, marked as such",
    )
    ask.add_argument(
        "--min-confidence",
        type=float,
        metavar="PERCENT",
        help="answer only when an answer's confidence is at least this (e.g. 30 for 30%%), for this question; "
        "the confidence is the model's odds of the answer against 'no answer' (or the calibrated probability)",
    )
    ask.add_argument(
        "--threshold",
        type=float,
        help="the no-answer threshold in the pipeline YAML's own unit (null-score difference: 0 is a confidence "
        "of 50%%, larger values abstain less); --min-confidence says the same in percent",
    )
    ask.add_argument(
        "--file-name",
        help="only search passages of this source name, as answers show it (e.g. Oxygen.txt); a name that is not "
        "indexed is an error (exit 5)",
    )
    ask.add_argument(
        "--json", action="store_true", help="print the answers as JSON (at the prompt: one JSON line per question)"
    )
    _common(ask)
    ask.set_defaults(usage_error=ask.error)

    remove = commands.add_parser(
        "remove",
        help="remove the passages of files from the store",
        description="Removes every passage of each source named: by its path, its id (extractive-qa sources), or "
        "the source name answers show (Oxygen.txt) when one source alone has it. A name that is not indexed is "
        "an error (exit 2) and nothing is removed.",
    )
    remove.add_argument("paths", nargs="+", metavar="source", help="a path, a source id, or a source name")
    _common(remove)

    count = commands.add_parser("count", help="print the number of passages in the store")
    _common(count)

    import_store = commands.add_parser(
        "import-store",
        help="copy the passages of an in-memory store file (store.json of earlier versions) into the store",
        description="Writes every passage saved in FILE into the configured store (replacing passages with the same "
        "id); FILE is left as it is. A new embedded store at the default place does this by itself for the default "
        "store.json.",
    )
    import_store.add_argument(
        "file", help="an in-memory store file (JSON), e.g. ~/.local/share/extractive-qa/store.json"
    )
    _common(import_store)

    serve = commands.add_parser(
        "serve",
        help="serve the web page, questions, indexing and MCP over HTTP (hayhooks; deploy endpoints off when exposed)",
        description="Serves the web page at /, POST /ask/run, POST /index/run, POST /upload, POST /feedback and the "
        "MCP tools at /mcp; see docs/serving.md. Settings come from EQA_* variables (EQA_API_KEY, EQA_EXPOSED, "
        "limits) and the options below.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; others need a key)")
    serve.add_argument("--port", type=int, default=1416, help="port (default 1416)")
    _common(serve)
    # ---- evaluation: `eval FILE`, `tune-threshold FILE` (extractive_qa/evaluation/cli.py) ----
    from extractive_qa.evaluation.cli import add_evaluation_commands

    add_evaluation_commands(commands, _common)
    # ---- feedback: `feedback export FILE` (extractive_qa/feedback/cli.py) ----
    from extractive_qa.feedback.cli import add_feedback_commands

    add_feedback_commands(commands, _common)
    # ---- sources: `sources [--name TEXT]` (extractive_qa/store/cli.py) ----
    from extractive_qa.store.cli import add_source_commands

    add_source_commands(commands, _common)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("extractive-qa")
    except PackageNotFoundError:  # pragma: no cover - run from a checkout that is not installed
        return "unknown"


def settings_from_args(args: argparse.Namespace) -> Any:
    """The settings of the environment, with the command line's options (the `_common` ones) on top."""
    from extractive_qa.settings import Settings

    return Settings.from_env(
        model=args.model,
        store=args.store,
        store_path=args.store_path,
        elasticsearch_url=args.elasticsearch_url,
        elasticsearch_index=args.elasticsearch_index,
        pipelines_dir=args.pipelines_dir,
        query_pipeline=args.pipeline,
    )


def _serve(args: argparse.Namespace) -> int:
    """Runs the HTTP server with the command line's settings."""
    from extractive_qa.http.server import serve

    serve(settings_from_args(args), host=args.host, port=args.port)
    return 0


def _answerer(args: argparse.Namespace) -> Any:
    from extractive_qa.app.question_answerer import QuestionAnswerer

    return QuestionAnswerer(settings_from_args(args))


def _run(args: argparse.Namespace) -> int:
    from extractive_qa.logs import quiet_libraries

    quiet_libraries(verbose=args.verbose)
    if args.command == "serve":
        return _serve(args)
    from extractive_qa.evaluation.cli import EVALUATION_COMMANDS, run_evaluation_command

    if args.command in EVALUATION_COMMANDS:
        return run_evaluation_command(args, settings_from_args(args))
    from extractive_qa.feedback.cli import FEEDBACK_COMMANDS, run_feedback_command

    if args.command in FEEDBACK_COMMANDS:
        return run_feedback_command(args, settings_from_args(args))
    from extractive_qa.store.cli import SOURCE_COMMANDS, run_source_command

    if args.command in SOURCE_COMMANDS:
        return run_source_command(args, settings_from_args(args))
    if args.command == "count":
        from extractive_qa.store.embedded_index import passage_count, require_store

        settings = settings_from_args(args)
        require_store(settings)  # a mistyped --store-path is not an empty store
        count = passage_count(settings)
        print(count if count is not None else _answerer(args).count_documents())
        return 0
    from extractive_qa.store.embedded_index import naming_a_missing_store, require_store, require_writable

    settings = settings_from_args(args)
    if args.command == "remove":
        require_store(settings)  # a mistyped --store-path is not an empty store
    if args.command in ("index", "remove", "import-store"):
        require_writable(settings)  # a read-only store is refused before any file is read
    with naming_a_missing_store(settings):  # ask checks its question and model first
        return _run_with_store(args)


def _run_with_store(args: argparse.Namespace) -> int:
    if args.command == "index" and args.batch_size < 1:
        raise QAError(f"--batch-size must be at least 1, got {args.batch_size}")
    if args.command == "index" and args.watch:
        return _watch(args)
    qa = _answerer(args)
    if args.command == "index":
        report = qa.index(
            args.paths, progress=not args.no_progress, batch_size=args.batch_size, full=args.full, sync=args.sync
        )
        if args.json:
            print(json.dumps(json_safe(report.to_dict()), indent=2, allow_nan=False))
        else:
            _print_skipped(report.skipped)
            print(report.summary())
        return 0 if report.files_read or not report.skipped else 1
    if args.command == "ask":
        return _ask(qa, args)
    if args.command == "remove":
        print(f"removed {qa.remove(args.paths)} passage(s)")
        return 0
    if args.command == "import-store":
        print(f"imported {qa.import_store_file(args.file)} passage(s) from {args.file}")
        return 0
    raise AssertionError(args.command)  # pragma: no cover


def _ask(qa: Any, args: argparse.Namespace) -> int:
    """`ask QUESTION...`, or with no question the prompt: each answer printed by `_print_answers`."""
    filters = None
    if args.file_name:
        filters = {"field": "meta.file_name", "operator": "==", "value": args.file_name}
    confidence = None
    if args.min_confidence is not None:
        if args.threshold is not None:
            raise QAError("give --min-confidence or --threshold, not both")
        confidence = args.min_confidence / 100.0

    def answer(question: str) -> tuple[Any, float]:
        started = time.perf_counter()
        result = qa.ask(
            question, top_k=args.top_k, filters=filters, threshold=args.threshold, min_confidence=confidence
        )
        return result, time.perf_counter() - started

    if not args.questions:
        from extractive_qa.prompt import history_path, run_prompt
        from extractive_qa.store.embedded_index import require_store

        require_store(qa.settings)  # nothing indexed: say so before the prompt opens
        qa.query_pipeline  # noqa: B018 - the model loads once, before the first question
        return run_prompt(lambda question: _print_answers([answer(question)], args, one_line=True), history_path())
    if args.json:  # one JSON document for all the questions
        _print_answers([answer(question) for question in args.questions], args)
    else:  # each answer as soon as it is there
        for question in args.questions:
            _print_answers([answer(question)], args, several=len(args.questions) > 1)
    return 0


def _print_answers(
    answered: list[tuple[Any, float]], args: argparse.Namespace, several: bool = False, one_line: bool = False
) -> None:
    """
    Prints answer sets as `ask` does: each result's text (after `Q: question` where `several` were asked), or with
    `--json` one object (a list for several questions) with the seconds each took; `one_line` prints each set as
    one JSON line (the prompt's).
    """
    if args.json:
        payloads = [{**result.to_dict(), "seconds": round(seconds, 3)} for result, seconds in answered]
        shown = payloads[0] if len(payloads) == 1 else payloads
        print(json.dumps(shown, indent=None if one_line else 2, ensure_ascii=False, allow_nan=False), flush=True)
        return
    for result, _seconds in answered:
        if several or len(answered) > 1:
            print(f"Q: {printable(result.question)}")
        print(result.format(), flush=True)


def _watch(args: argparse.Namespace) -> int:
    """`index --watch FOLDER...`: syncs, then applies file events until SIGINT or SIGTERM, then a summary (exit 0)."""
    import signal
    import threading

    from extractive_qa.indexing.report import IndexReport
    from extractive_qa.indexing.watch import FolderWatch, add_report, checked_folder
    from extractive_qa.store.configured_store import persist, store_errors

    if args.json:
        raise QAError("--json cannot be used with --watch (it prints one line per batch)")
    folders = [checked_folder(path) for path in args.paths]  # a missing folder is refused before anything loads
    qa = _answerer(args)
    qa.count_documents()  # reach the store before reading any file
    watch = FolderWatch(
        qa.indexing_pipeline,
        qa.document_store,
        folders,
        batch_size=args.batch_size,
        full=args.full,
        after_write=lambda: persist(qa.document_store, qa.settings),
    )
    stop = threading.Event()
    syncing = [True]

    def on_signal(_signum: int, _frame: Any) -> None:
        stop.set()
        if syncing[0]:  # the first sync can be long: stop it now (whole batches written are kept)
            raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    started = time.perf_counter()
    total = IndexReport()
    batches = 0
    try:
        with store_errors(qa.settings):
            try:
                report = watch.sync()
            except KeyboardInterrupt:
                print("watch stopped during the first sync (the batches written are kept)", flush=True)
                return 0
            syncing[0] = False
            _print_skipped(report.skipped)
            print(f"synced: {report.summary()}", flush=True)
            add_report(total, report)
            print(f"watching {', '.join(printable(str(f)) for f in folders)} (Ctrl-C stops)", flush=True)
            for report in watch.batches(stop):
                batches += 1
                add_report(total, report)
                _print_skipped(report.skipped)
                print(f"{time.strftime('%H:%M:%S')} {report.summary()}", flush=True)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    total.seconds = time.perf_counter() - started
    print(f"watch stopped after {batches} batch(es): {total.summary()}", flush=True)
    return 0


def _print_skipped(skipped: list[tuple[str, str]]) -> None:
    for path, reason in skipped:
        print(f"skipped {printable(path)}: {printable(reason)}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (0 ok, 1 nothing indexed, 2+ errors, see `extractive_qa.errors`)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    prompting = args.command == "ask" and not args.questions
    if prompting and not sys.stdin.isatty():
        args.usage_error("the following arguments are required: question")
    try:
        if prompting:  # before any thread starts: Ctrl-C is the prompt's (extractive_qa.prompt)
            from extractive_qa.prompt import interrupts_held

            with interrupts_held():
                return _run(args)
        return _run(args)
    except QAError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `extractive-qa ask ... | head`
        sys.stderr.close()
        return 0
    except Exception as error:
        if args.verbose:
            raise
        print(f"error: unexpected {type(error).__name__}: {error} (run with --verbose for details)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
