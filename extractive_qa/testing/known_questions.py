"""
Questions the shared small model answers right: SQuAD 2.0 dev questions about the bundled articles (`data/`), with
their gold answers from the official dev file and the file each answer is in. The model answers each of them right
from the whole bundled collection, so a test or a benchmark that asks them can check the answer, not only its shape.

Usage example:
```python
from extractive_qa.testing.known_questions import KNOWN_QUESTIONS

for question, answers, file_name in KNOWN_QUESTIONS:
    print(f"{question} -> {answers[0]} ({file_name})")
```
"""

from __future__ import annotations

#: (question, accepted answers, the bundled file that holds the answer)
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
