"""
The package's structure, checked from its source: every package folder installed, no import cycle, layers that
point down only, no private name imported across modules, components independent of the application, no unused
dependency, a light command line.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import tomllib

from extractive_qa.testing.paths import ROOT

# Where each installed package's source lives in the repository (pyproject's package-dir mapping).
SOURCE_ROOTS = {
    "extractive_qa": ROOT / "extractive_qa",
    "extractive_qa.components": ROOT / "components",
    "extractive_qa.pipelines": ROOT / "pipelines",
}


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _modules() -> dict[str, Path]:
    """Every module of the application, by its installed dotted name."""
    found: dict[str, Path] = {}
    for package, folder in SOURCE_ROOTS.items():
        for path in sorted(folder.rglob("*.py")):
            relative = path.relative_to(folder).with_suffix("")
            parts = [p for p in relative.parts if p != "__init__"]
            if "wrappers" in parts:  # hayhooks loads the wrappers by path; they are not modules of the package
                continue
            name = ".".join([package, *parts])
            if package == "extractive_qa" and name.startswith(("extractive_qa.components", "extractive_qa.pipelines")):
                continue
            found[name] = path
    return found


def _imports(path: Path) -> Iterator[tuple[str, list[str]]]:
    """(imported module, names taken from it) for every import in a file, outside `if TYPE_CHECKING:` blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(child) for stmt in node.body for child in ast.walk(stmt)}
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, [alias.name for alias in node.names]


def _own(module: str, modules: dict[str, Path]) -> str | None:
    """The application module an import names (a `from package import module` names the module itself)."""
    while module and module not in modules:
        module = module.rpartition(".")[0]
    return module or None


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for imported, names in _imports(path):
            targets = [f"{imported}.{n}" for n in names if f"{imported}.{n}" in modules] or [imported]
            for target in targets:
                own = _own(target, modules)
                if own is not None and own != name:
                    graph[name].add(own)
    return graph


def test_pyproject_installs_every_package_folder() -> None:
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    on_disk = set()
    for package, folder in SOURCE_ROOTS.items():
        for init in folder.rglob("__init__.py"):
            parts = init.parent.relative_to(folder).parts
            on_disk.add(".".join([package, *parts]))
    assert listed == on_disk


def test_no_import_cycles() -> None:
    graph = _graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    assert cycles == []


# The layers, lowest first: a module imports from its own layer or a lower one, never a higher one. A module belongs
# to the layer of the longest name below that is its own name or a package above it; the package `extractive_qa`
# itself (the Python API) is the command line's layer.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("components and pipelines", ("extractive_qa.components", "extractive_qa.pipelines")),
    (
        "core: errors, settings, the answer, shared helpers, the pipeline files",
        (
            "extractive_qa.errors",
            "extractive_qa.settings",
            "extractive_qa.logs",
            "extractive_qa.utils",
            "extractive_qa.answers",
            "extractive_qa.document_types",
            "extractive_qa.pipeline_files",
            "extractive_qa.trusted_modules",
        ),
    ),
    ("store", ("extractive_qa.store",)),
    ("indexing", ("extractive_qa.indexing",)),
    ("app", ("extractive_qa.app",)),
    ("evaluation and feedback", ("extractive_qa.evaluation", "extractive_qa.feedback")),
    ("http", ("extractive_qa.http",)),
    (
        "command line and Python API",
        (
            "extractive_qa.cli",
            "extractive_qa.prompt",
            "extractive_qa.store.cli",
            "extractive_qa.evaluation.cli",
            "extractive_qa.feedback.cli",
        ),
    ),
    ("test tooling", ("extractive_qa.testing",)),
)
API_LAYER = "command line and Python API"


def _layer(module: str) -> int | None:
    """The index in LAYERS of a module's layer, `None` when no layer names it."""
    if module == "extractive_qa":
        return next(i for i, (name, _) in enumerate(LAYERS) if name == API_LAYER)
    best: tuple[int, int] | None = None  # (length of the matching name, layer)
    for index, (_, names) in enumerate(LAYERS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and (best is None or len(name) > best[0]):
                best = (len(name), index)
    return None if best is None else best[1]


def test_every_module_has_a_layer() -> None:
    assert [name for name in _modules() if _layer(name) is None] == []


def test_layers_point_down_only() -> None:
    offences = [
        f"{name} ({LAYERS[_layer(name)][0]}) imports {target} ({LAYERS[_layer(target)][0]})"
        for name, targets in _graph().items()
        for target in sorted(targets)
        if (_layer(target) or 0) > (_layer(name) or 0)
    ]
    assert offences == []


def test_the_layer_check_sees_an_upward_import() -> None:
    assert _layer("extractive_qa.store.configured_store") < _layer("extractive_qa.app.question_answerer")
    assert _layer("extractive_qa.store.cli") > _layer("extractive_qa.app.question_answerer")
    assert _layer("extractive_qa") == _layer("extractive_qa.cli") > _layer("extractive_qa.http.server")
    assert _layer("extractive_qa.components.reader.component") == 0


def test_no_private_name_is_imported_from_another_module() -> None:
    modules = _modules()
    offences = [
        f"{name} imports {imported}.{taken}"
        for name, path in modules.items()
        for imported, names in _imports(path)
        if _own(imported, modules)
        for taken in names
        if taken.startswith("_")
    ]
    assert offences == []


def test_components_do_not_import_the_application() -> None:
    modules = _modules()
    offences = [
        f"{name} imports {imported}"
        for name, path in modules.items()
        if name.startswith("extractive_qa.components")
        for imported, _ in _imports(path)
        if imported.startswith("extractive_qa") and not imported.startswith("extractive_qa.components")
    ]
    assert offences == []


# Dependencies our code does not import itself, and what needs them.
USED_INDIRECTLY = {
    "sentencepiece": "tokenizers of SentencePiece models (XLM-R, ALBERT, ...) that users may configure",
    "accelerate": "imported by Haystack's ExtractiveReader, the baseline of `eval --compare-stock` and benchmarks",
    "pypdf": "Haystack's PyPDFToDocument in the indexing pipelines",
    "trafilatura": "Haystack's HTMLToDocument in the indexing pipelines",
    "lxml_html_clean": "trafilatura's HTML cleaning (lxml 6 dropped its html_clean extra)",
    "python-multipart": "FastAPI's UploadFile, for the page's uploads (extractive_qa/http/api.py)",
}
IMPORT_NAMES = {
    "haystack-ai": "haystack",
    "elasticsearch-haystack": "haystack_integrations.document_stores.elasticsearch",
    "python-docx": "docx",
    "python-dateutil": "dateutil",
}


def test_every_dependency_is_used() -> None:
    source = "\n".join(path.read_text(encoding="utf-8") for path in _modules().values())
    source += "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "pipelines").glob("*.yml"))
    unused = []
    for requirement in _pyproject()["project"]["dependencies"]:
        name = requirement.split(";")[0].split("[")[0].split("<")[0].split(">")[0].split("=")[0].strip()
        if name in USED_INDIRECTLY:
            continue
        if IMPORT_NAMES.get(name, name.replace("-", "_")) not in source:
            unused.append(name)
    assert unused == []


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["ask", "--help"], ["index", "--help"]])
def test_command_line_help_imports_nothing_heavy(argv: list[str]) -> None:
    code = (
        "import sys\n"
        "from extractive_qa.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = sorted(m for m in ('torch', 'transformers', 'haystack', 'hayhooks', 'numpy') if m in sys.modules)\n"
        "print('heavy:', heavy)\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip().splitlines()[-1] == "heavy: []"
