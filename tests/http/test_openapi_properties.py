"""
A bounded property-based run (schemathesis) over the OpenAPI schema of a real `extractive-qa serve` process on
127.0.0.1 with the shared small model: for requests made from the schema, valid and invalid, no 5xx, every status,
content type and body as the schema states, and reading endpoints leave the store's passage count as it was.
Derandomized and bounded (`MAX_EXAMPLES` per operation), so CI runs the same requests every time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from extractive_qa import QuestionAnswerer, Settings
from extractive_qa.testing.paths import DATA_DIR, SHARED_MODEL
from extractive_qa.testing.processes import Server
from extractive_qa.testing.servers import serving

pytestmark = [pytest.mark.server, pytest.mark.model, pytest.mark.timeout(900)]

MAX_EXAMPLES = 25
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
READING = {"GET /info", "GET /status", "POST /ask/run"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not (SHARED_MODEL / "config.json").exists():
        pytest.skip(f"the shared small QA model is not at {SHARED_MODEL}")
    tmp = tmp_path_factory.mktemp("openapi-properties")
    store = tmp / "store"
    assert QuestionAnswerer(Settings(store_path=store)).index([DATA_DIR / "Oxygen.txt"]).files_read == 1
    with serving(
        tmp, SHARED_MODEL, store, EQA_MAX_DOCUMENTS="3", EQA_FEEDBACK_PATH=str(tmp / "feedback.db")
    ) as running:
        yield running


def passages(server: Server) -> int:
    return requests.get(f"{server.url}/info", timeout=30).json()["passages_in_store"]


def operations(server: Server) -> dict[str, Any]:
    """The schema's operations by label (`POST /ask/run`), loaded from the running server."""
    api = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    found = [result.ok() for result in api.get_all_operations()]
    return {operation.label: operation for operation in found}


CASES = [
    *(
        (label, mode)
        for label in ("POST /ask/run", "POST /index/run", "POST /upload", "POST /feedback")
        for mode in GenerationMode
    ),
    ("GET /info", GenerationMode.POSITIVE),  # no parameters: nothing to make invalid
    ("GET /status", GenerationMode.POSITIVE),
]


@pytest.mark.parametrize(("label", "mode"), CASES, ids=[f"{label}-{mode.value}" for label, mode in CASES])
def test_the_server_does_what_its_schema_states(server: Server, label: str, mode: GenerationMode) -> None:
    operation = operations(server)[label]
    reading = label in READING

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    def check(case: Any) -> None:
        before = passages(server) if reading else None
        case.call_and_validate(base_url=server.url, checks=CHECKS, timeout=120)
        if reading:
            assert passages(server) == before, f"{label} changed the store"

    check()


def test_the_schema_states_the_refusals(server: Server) -> None:
    described = requests.get(f"{server.url}/openapi.json", timeout=30).json()
    ask = described["paths"]["/ask/run"]["post"]
    assert {"403", "409", "413", "421", "422", "503"} <= set(ask["responses"])
    assert {"421"} <= set(described["paths"]["/info"]["get"]["responses"])
    assert {"403", "413", "421", "422"} <= set(described["paths"]["/upload"]["post"]["responses"])
    name = ask["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    question = described["components"]["schemas"][name]["properties"]["question"]
    assert (question["minLength"], question["maxLength"]) == (1, 2000)
