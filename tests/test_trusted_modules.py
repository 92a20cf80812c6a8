"""
Which modules a pipeline YAML may name: Haystack's and the application's components load without any allowlist set
by the user, under Haystack 2.x and 3.x alike; any other module is refused in one line, unless the user trusts it
through Haystack 3's `HAYSTACK_DESERIALIZATION_ALLOWLIST`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from extractive_qa.app.pipeline_loader import build_pipeline
from extractive_qa.errors import InvalidSettings
from extractive_qa.pipeline_files import read_pipeline_yaml
from extractive_qa.testing.paths import PIPELINES_DIR
from extractive_qa.testing.processes import assert_one_line_error, run_cli
from extractive_qa.trusted_modules import (
    ALLOWLIST_ENV_VAR,
    check_trusted,
    import_trusted_class,
    is_trusted,
    module_matches,
    named_classes,
)

# A class outside Haystack and the application: a harmless one, in the test suite's own package.
FOREIGN_TYPE = "tests.test_trusted_modules.Foreign"


class Foreign:
    """Stands for a component of a module nobody trusted."""


def _with_foreign_component(path: Path) -> dict:
    data = read_pipeline_yaml(path)
    data["components"]["foreign"] = {"type": FOREIGN_TYPE, "init_parameters": {}}
    return data


@pytest.fixture(autouse=True)
def _no_user_allowlist(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ALLOWLIST_ENV_VAR, raising=False)


@pytest.mark.parametrize(
    ("module", "pattern", "expected"),
    [
        ("mypkg", "mypkg", True),
        ("mypkg.sub", "mypkg", True),
        ("mypkg.sub", "mypkg.*", True),
        ("mypkg", "mypkg.*", True),
        ("mypkgx", "mypkg", False),
        ("mypkgx.sub", "mypkg.*", False),
        ("a.b.c", "a.*.c", True),
    ],
)
def test_patterns_match_as_haystack_3_matches_them(module: str, pattern: str, expected: bool) -> None:
    assert module_matches(module, pattern) is expected


def test_haystack_and_the_application_components_are_trusted_and_nothing_else() -> None:
    assert is_trusted("haystack.components.readers")
    assert is_trusted("haystack_integrations.document_stores.elasticsearch.document_store")
    assert is_trusted("extractive_qa.components.reader.component")
    assert not is_trusted("extractive_qa.app.pipeline_loader")  # the application itself is no component
    assert not is_trusted("extractive_qa")
    assert not is_trusted("os")
    assert not is_trusted("tests")


@pytest.mark.parametrize("path", sorted(PIPELINES_DIR.glob("*.yml")), ids=lambda p: p.name)
def test_every_shipped_yaml_names_only_trusted_classes(path: Path) -> None:
    data = read_pipeline_yaml(path)
    check_trusted(data, str(path))
    named = [class_path for _, class_path in named_classes(data)]
    assert any(class_path.startswith("extractive_qa.components.") for class_path in named)
    assert not any(class_path in ("env_var", "keyword", "text") for class_path in named)  # not classes


@pytest.mark.parametrize("name", ["query.yml", "indexing.yml", "query_elasticsearch.yml"])
def test_a_yaml_naming_another_module_is_refused_in_one_line(name: str) -> None:
    with pytest.raises(InvalidSettings) as raised:
        build_pipeline(_with_foreign_component(PIPELINES_DIR / name), source=name)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"{name} does not load: component 'foreign'")
    assert "'tests.test_trusted_modules'" in message and ALLOWLIST_ENV_VAR in message


def test_a_class_nested_in_parameters_is_checked_too() -> None:
    data = read_pipeline_yaml(PIPELINES_DIR / "query.yml")
    data["components"]["retriever"]["init_parameters"]["document_store"]["type"] = FOREIGN_TYPE
    with pytest.raises(
        InvalidSettings, match=r"component 'retriever' names a class of module 'tests\.test_trusted_modules'"
    ):
        check_trusted(data, "query.yml")
    with pytest.raises(InvalidSettings, match="not trusted"):
        import_trusted_class(FOREIGN_TYPE, "query.yml")


def test_the_users_allowlist_admits_their_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ALLOWLIST_ENV_VAR, "somewhere.else, tests.*")
    check_trusted(_with_foreign_component(PIPELINES_DIR / "query.yml"), "query.yml")
    assert import_trusted_class(FOREIGN_TYPE) is Foreign


def test_the_command_line_refuses_a_foreign_yaml_in_one_line(tmp_path: Path) -> None:
    pipelines = tmp_path / "pipelines"
    pipelines.mkdir()
    for path in PIPELINES_DIR.glob("*.yml"):
        (pipelines / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    data = _with_foreign_component(PIPELINES_DIR / "indexing.yml")
    (pipelines / "indexing.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    source = tmp_path / "a.txt"
    source.write_text("The plant opened in 1962.", encoding="utf-8")
    result = run_cli("index", str(source), "--pipelines-dir", str(pipelines), "--store-path", str(tmp_path / "index"))
    assert_one_line_error(result, 2, "names a class of module 'tests.test_trusted_modules', which is not trusted")
