"""
An honest "no answer" over a collection, with the shared small model and the shipped pipeline (no threshold
override): the bundled data/ plus a few files about an invented island written here. Questions about things the
documents do not mention get "no answer" with the reason; questions they answer are still answered; the reason
reaches the Python API, the command line and its JSON.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractive_qa import QuestionAnswerer, Settings
from extractive_qa.testing.paths import DATA_DIR
from extractive_qa.testing.processes import run_cli

pytestmark = [pytest.mark.model, pytest.mark.usefixtures("shared_model"), pytest.mark.timeout(900)]

ISLAND = {
    "Veltmark.txt": (
        "Veltmark is a small island in the Skerrow Sea, about 40 kilometres west of the mainland port of Carrick "
        "Bay. Around 1,900 people live on the island, most of them in Havnby, its only town. The island is 14 "
        "kilometres long and rises to 212 metres at Brask Hill, its highest point.\n\n"
        "A ferry run by the Skerrow Line sails between Havnby and Carrick Bay twice a day; the crossing takes about "
        "two hours, and in winter storms the island can be cut off for a week. There are no cars on the north of "
        "the island, and a single road links Havnby with the fishing hamlet of Nordvik.\n\n"
        "The Veltmark lighthouse stands on the western cliffs. It was designed by the engineer Ottilie Brask and "
        "first lit in 1872; its lamp can be seen from 30 kilometres out to sea.\n"
    ),
    "Veltmark economy.txt": (
        "Fishing was the economy of Veltmark for centuries: herring until the stocks collapsed in the 1950s, then "
        "crab and lobster, which are still landed at Havnby harbour and sold on the mainland. Since the 1990s "
        "tourism has grown, and about 12,000 visitors come each summer for the birds of the western cliffs, above "
        "all the island's colony of puffins.\n\n"
        "The island's wool is spun at the Havnby mill, founded in 1903 by the cooperative of Veltmark's sheep "
        "farmers. Its blue and grey Veltmark tweed is its best-known product.\n"
    ),
}

# Questions about what no file mentions: the reader alone answered the first two from Fresno and Warsaw passages
# (confidence >99% and 98%); the others are like them.
OUT_OF_COLLECTION = {
    "Which airport serves Veltmark?": "Veltmark",
    "Who was the first president of the Moon?": "Moon",
    "What did Nikola Tesla invent in 1887?": "Tesla",
    "How many goals did Manchester United score in the 1999 final?": "Manchester",
}
ANSWERED = {
    "What is the only town on Veltmark?": "Havnby",
    "How many people live on Veltmark?": "1,900",
    "When was the Havnby mill founded?": "1903",
    "What is the atomic number of oxygen?": "8",
}


@pytest.fixture(scope="module")
def island(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("island")
    for name, text in ISLAND.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def store(shared_model: Path, island: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default (embedded) store with data/ and the island's files indexed."""
    path = tmp_path_factory.mktemp("collection") / "index"
    report = QuestionAnswerer(Settings(model=str(shared_model), store_path=path)).index([DATA_DIR, island])
    assert report.files_read == 37, report.skipped
    return path


@pytest.fixture(scope="module")
def qa(shared_model: Path, store: Path) -> QuestionAnswerer:
    return QuestionAnswerer(Settings(model=str(shared_model), store_path=store))


@pytest.mark.parametrize(("question", "term"), OUT_OF_COLLECTION.items())
def test_a_question_about_what_the_documents_do_not_mention_gets_no_answer_saying_why(
    qa: QuestionAnswerer, question: str, term: str
) -> None:
    result = qa.ask(question)
    assert result.no_answer, result.format()
    entry = result.answers[0]
    assert entry.text is None and entry.reason and term in entry.reason, entry.reason
    assert result.format().splitlines()[0] == f"no answer ({entry.reason})"
    assert result.to_dict()["answers"][0]["reason"] == entry.reason


@pytest.mark.parametrize(("question", "answer"), ANSWERED.items())
def test_a_question_the_documents_answer_is_still_answered(qa: QuestionAnswerer, question: str, answer: str) -> None:
    result = qa.ask(question)
    assert result.best is not None and result.best.text == answer, result.format()
    assert result.best.reason is None and not result.best.below_threshold


@pytest.mark.parametrize("question", ["What is it?", "Who won?", "When did it happen?"])
def test_a_question_that_names_nothing_gets_no_answer_over_the_collection(qa: QuestionAnswerer, question: str) -> None:
    result = qa.ask(question)
    assert result.no_answer, result.format()
    assert result.answers[0].reason == "the question does not say what it asks about"
    assert result.format().splitlines()[0] == "no answer (the question does not say what it asks about)"


def test_over_a_given_text_a_short_question_is_answered_from_it(qa: QuestionAnswerer) -> None:
    result = qa.answer("Who won?", "The final was played in Havnby. The Skerrow Rovers won it 3-1.")
    assert result.best is not None and "Skerrow Rovers" in result.best.text, result.format()


def test_over_given_texts_the_decision_checks_them_too(qa: QuestionAnswerer) -> None:
    text = "My name is Wolfgang and I live in Berlin. I work as a carpenter."
    assert qa.answer("Where do I live?", text).best.text == "Berlin"
    result = qa.answer("Where does Angela Merkel live?", text)
    assert result.no_answer and result.answers[0].reason == "no passage mentions Angela or Merkel"


def test_the_reason_reaches_the_command_line_and_its_json(shared_model: Path, store: Path) -> None:
    env = {"EQA_STORE_PATH": str(store), "EQA_MODEL": str(shared_model)}
    question = "Which airport serves Veltmark?"
    printed = run_cli("ask", question, env=env)
    assert printed.returncode == 0, printed.stderr
    first = printed.stdout.splitlines()[0]
    assert first.startswith("no answer (") and "Veltmark" in first, printed.stdout
    as_json = run_cli("ask", question, "--json", env=env)
    assert as_json.returncode == 0, as_json.stderr
    payload = json.loads(as_json.stdout)
    entry = payload["answers"][0]
    assert payload["no_answer"] is True and entry["text"] is None
    assert first == f"no answer ({entry['reason']})"
