"""
Compares an answer line the CLI printed ("1. 8  (confidence 98%, source: Oxygen.txt)") with one a document shows:
the same text and source, the confidence within a stated tolerance. A confidence near a rounding edge (97.5%) prints
as 97% or 98% depending on the CPU's arithmetic, so documented lines are never compared character for character.

Usage example:
```python
from extractive_qa.testing.answer_lines import assert_same_answer_line

assert_same_answer_line("1. 8  (confidence 98%, source: Oxygen.txt)", "1. 8  (confidence 97%, source: Oxygen.txt)")
```
"""

from __future__ import annotations

import re

#: Percentage points two printed confidences of the same answer may differ by (bf16 kernels differ between CPUs).
CONFIDENCE_TOLERANCE = 2

_CONFIDENCE = re.compile(r"\(confidence (\d+)%")


def assert_same_answer_line(shown: str, documented: str, tolerance: int = CONFIDENCE_TOLERANCE) -> None:
    """
    Asserts `shown` is `documented` but for the confidence, which may differ by `tolerance` percentage points.

    :raises AssertionError: Naming both lines.
    """
    shown_confidence, documented_confidence = _CONFIDENCE.search(shown), _CONFIDENCE.search(documented)
    assert shown_confidence and documented_confidence, f"no confidence in {shown!r} or {documented!r}"
    assert _CONFIDENCE.sub("(confidence N%", shown) == _CONFIDENCE.sub("(confidence N%", documented), (
        shown,
        documented,
    )
    difference = abs(int(shown_confidence.group(1)) - int(documented_confidence.group(1)))
    assert difference <= tolerance, f"confidence off by {difference} points: {shown!r} vs {documented!r}"
