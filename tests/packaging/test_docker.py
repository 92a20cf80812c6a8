"""docker-compose.yml and the Dockerfile: the essentials checked statically (no Docker engine runs here)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from extractive_qa.testing.paths import PIPELINES_DIR, ROOT

COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def test_elasticsearch_is_a_single_node_without_security_with_heap_health_check_and_volume(compose: dict) -> None:
    service = compose["services"]["elasticsearch"]
    assert re.fullmatch(r"docker\.elastic\.co/elasticsearch/elasticsearch:8\.\d+\.\d+", service["image"])
    env = service["environment"]
    assert env["discovery.type"] == "single-node"
    assert str(env["xpack.security.enabled"]).lower() == "false"
    assert re.search(r"-Xms\d+[mg] -Xmx\d+[mg]", env["ES_JAVA_OPTS"])
    assert "_cluster/health" in " ".join(service["healthcheck"]["test"])
    volume, target = service["volumes"][0].split(":")[:2]
    assert target == "/usr/share/elasticsearch/data" and volume in compose["volumes"]
    assert all(str(p).startswith("127.0.0.1:") for p in service["ports"])  # not published to the network


def test_app_is_wired_to_elasticsearch_by_environment_and_waits_for_it(compose: dict) -> None:
    app = compose["services"]["app"]
    assert app["build"] == "."
    assert app["depends_on"]["elasticsearch"]["condition"] == "service_healthy"
    env = app["environment"]
    assert env["EQA_STORE"] == "elasticsearch"
    assert env["EQA_ELASTICSEARCH_URL"] == "http://elasticsearch:9200"  # the service name on compose's network
    assert str(env["EQA_EXPOSED"]) == "1"
    assert env["EQA_API_KEY"].startswith("${EQA_API_KEY:?")  # no default key: compose refuses to start without one
    assert all(str(p).startswith("127.0.0.1:") for p in app["ports"])


def test_dockerfile_installs_the_project_and_serves_it_with_the_guarded_server() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim$", text, re.MULTILINE)
    assert re.search(r'^RUN pip install "\.\[haystack2\]"$', text, re.MULTILINE)  # the 2.x line, the default
    assert 'CMD ["extractive-qa", "serve", "--host", "0.0.0.0", "--port", "1416"]' in text
    assert "EQA_PIPELINES_DIR" not in text and "EQA_SERVING_DIR" not in text  # the package ships both
    copied = [name for sources in re.findall(r"^COPY (.+) \S+$", text, re.MULTILINE) for name in sources.split()]
    assert {"pyproject.toml", "README.md", "extractive_qa", "components", "pipelines"} <= set(copied)
    assert text.index("COPY pipelines") < text.index("RUN pip install ")  # installed as package data
    for name in copied:
        assert (ROOT / name).exists(), f"the Dockerfile copies {name}, which the project does not have"
    assert re.search(r"^COPY pipelines \./pipelines$", text, re.MULTILINE)
    assert {"query_elasticsearch.yml", "indexing_elasticsearch.yml"} <= {p.name for p in PIPELINES_DIR.glob("*.yml")}
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".venv", ".es", ".git"} <= set(ignored)  # the build context stays small


def test_docker_compose_config_validates_the_file(tmp_path: Path) -> None:
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose is not installed (Debian: apt-get install docker-compose)")
    env = {k: v for k, v in os.environ.items() if k != "EQA_API_KEY"}
    command = [binary, "-f", str(COMPOSE_FILE), "config"]
    without_key = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert without_key.returncode != 0 and "set EQA_API_KEY" in without_key.stderr
    result = subprocess.run(
        command, cwd=tmp_path, env={**env, "EQA_API_KEY": "k" * 32}, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)
    assert resolved["services"]["app"]["environment"]["EQA_API_KEY"] == "k" * 32
    assert resolved["services"]["app"]["depends_on"]["elasticsearch"]["condition"] == "service_healthy"
