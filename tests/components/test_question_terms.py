"""The question's terms and how passages cover them (no model)."""

from __future__ import annotations

import pytest

from extractive_qa.components.question_terms import coverage, mentioned, question_terms, stem, text_stems


def test_function_words_and_question_words_are_left_out() -> None:
    terms = question_terms("What is the name of the airport that serves Veltmark?")
    assert [t.text for t in terms] == ["airport", "serves", "Veltmark"]


def test_names_are_capitalized_after_the_first_word_or_numeric() -> None:
    terms = {t.text: t.name for t in question_terms("Rivers of Veltmark flooded in 1953: which one was worst?")}
    assert terms == {"Rivers": False, "Veltmark": True, "flooded": False, "1953": True, "worst": False}


def test_terms_are_stems_as_the_embedded_store_indexes_them() -> None:
    assert stem("airports") == stem("airport") == "airport"
    assert [t.stem for t in question_terms("Who presided over the councils?")] == [stem("presided"), "council"]
    assert "council" in text_stems("The Council met.")
    assert mentioned(question_terms("Which councils met?")[0], "The Council met on Monday.")


def test_coverage_weighs_names_and_names_what_no_passage_mentions() -> None:
    question = "Which airport serves Veltmark?"
    fresno = "Fresno Yosemite International Airport serves the city of Fresno."
    found = coverage(question, fresno, [fresno, "Veltmark is an island."], name_weight=2.0)
    assert found.share == pytest.approx(0.5)  # airport 1 + serves 1 of 1 + 1 + Veltmark 2
    assert [t.text for t in found.missing] == ["Veltmark"]
    assert found.unmentioned == ()  # another passage mentions it
    alone = coverage(question, fresno, [fresno], name_weight=3.0)
    assert alone.share == pytest.approx(0.4)
    assert [t.text for t in alone.unmentioned] == ["Veltmark"]


def test_a_question_without_terms_is_covered() -> None:
    assert coverage("What is it?", "Anything.").share == 1.0


def test_negative_contractions_are_function_words_and_won_is_a_term() -> None:
    assert [t.text for t in question_terms("Why couldn't the product be covered by the warranty?")] == [
        "product",
        "covered",
        "warranty",
    ]
    assert [t.text for t in question_terms("What don\u2019t they like?")] == []
    assert [t.text for t in question_terms("Who won?")] == ["won"]


def test_coverage_weighs_what_the_question_says() -> None:
    assert coverage("What is it?", "Anything.").weight == 0.0
    assert coverage("Who won?", "The Broncos won.").weight == 1.0
    assert coverage("Who won Super Bowl 50?", "", name_weight=2.0).weight == 7.0  # won 1 + Super, Bowl, 50: 2 each
