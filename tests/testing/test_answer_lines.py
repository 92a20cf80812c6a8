"""The README comparison of printed answer lines: equal but for a confidence within the tolerance."""

import pytest

from extractive_qa.testing.answer_lines import assert_same_answer_line

DOCUMENTED = "1. 8  (confidence 98%, source: Oxygen.txt)"


@pytest.mark.parametrize(
    "shown", [DOCUMENTED, "1. 8  (confidence 97%, source: Oxygen.txt)", "1. 8  (confidence 100%, source: Oxygen.txt)"]
)
def test_the_same_line_within_the_tolerance(shown: str) -> None:
    assert_same_answer_line(shown, DOCUMENTED)


@pytest.mark.parametrize(
    "shown",
    [
        "1. 8  (confidence 95%, source: Oxygen.txt)",  # 3 points off
        "1. 9  (confidence 98%, source: Oxygen.txt)",  # another answer
        "1. 8  (confidence 98%, source: Normans.txt)",  # another source
        "no answer",
    ],
)
def test_another_line_fails(shown: str) -> None:
    with pytest.raises(AssertionError):
        assert_same_answer_line(shown, DOCUMENTED)
