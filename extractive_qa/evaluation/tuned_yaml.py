"""
Writing a tuned no-answer rule into a pipeline YAML, comments kept: only the lines of the `NoAnswerThreshold`
component's `threshold`, `signal` and `calibration` change, and the threshold line says in a comment the confidence an
answer then needs (the unit `ask` and the page show). The file is checked to load as a pipeline with exactly the tuned
parameters before it is written, atomically.

Usage example:
```python
from pathlib import Path
from extractive_qa.evaluation.tuned_yaml import write_tuned_yaml
from extractive_qa.evaluation.tuning import TuningResult

write_tuned_yaml(Path("pipelines/query.yml"), Path("query.tuned.yml"), TuningResult("score", 0.72, 0.0, 0.0, 0))
```
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from extractive_qa.answers import percent
from extractive_qa.components.no_answer_decision import min_confidence
from extractive_qa.components.no_answer_threshold import NoAnswerThreshold
from extractive_qa.errors import TuningError
from extractive_qa.evaluation.tuning import TuningResult
from extractive_qa.pipeline_files import THRESHOLD_TYPE
from extractive_qa.utils import write_text_atomically

#: The comment on a written threshold line, followed by the confidence an answer needs.
CONFIDENCE_COMMENT = "an answer needs a confidence of at least"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _block_end(lines: list[str], start: int, indent: int) -> int:
    """The index after the last line that belongs to the block opened at `start` (deeper-indented or blank)."""
    end = start + 1
    while end < len(lines):
        stripped = lines[end].strip()
        if stripped and not stripped.startswith("#") and _indent(lines[end]) <= indent:
            break
        end += 1
    while end > start + 1 and not lines[end - 1].strip():  # trailing blank lines belong to what follows
        end -= 1
    return end


def _format_number(value: float) -> str:
    return repr(float(value))


def set_threshold_in_yaml(text: str, name: str, parameters: dict[str, Any]) -> str:
    """
    Returns the YAML text with the `NoAnswerThreshold` component `name`'s parameters replaced, comments kept.

    Only the lines of `threshold:`, `signal:` and `calibration:` (with its nested block) under that component's
    `init_parameters:` change; missing keys are added, and `calibration` is removed when `parameters` has none.
    """
    lines = text.splitlines(keepends=True)
    head = next(
        (i for i, line in enumerate(lines) if re.match(rf"^(\s+){re.escape(name)}:\s*(#.*)?$", line.rstrip("\n"))),
        None,
    )
    if head is None:
        raise TuningError(f"the pipeline YAML has no component '{name}'")
    component_end = _block_end(lines, head, _indent(lines[head]))
    init = next(
        (i for i in range(head + 1, component_end) if re.match(r"^\s+init_parameters:\s*(#.*)?$", lines[i].rstrip())),
        None,
    )
    if init is None:
        raise TuningError(
            f"cannot edit component '{name}': its init_parameters are not a block mapping (write them one per line)"
        )
    init_indent = _indent(lines[init])
    init_end = _block_end(lines, init, init_indent)
    body = [i for i in range(init + 1, init_end) if lines[i].strip() and not lines[i].lstrip().startswith("#")]
    key_indent = _indent(lines[body[0]]) if body else init_indent + 2
    pad = " " * key_indent
    newline = "\n"

    def find(key: str) -> int | None:
        for i in range(init + 1, init_end):
            if _indent(lines[i]) == key_indent and re.match(rf"^\s*{key}:", lines[i]):
                return i
        return None

    def scalar_line(old: str | None, key: str, value: str) -> str:
        comment = ""
        if old is not None and " #" in old:
            comment = "  #" + old.split(" #", 1)[1].rstrip("\n")
        if key == "threshold" and (not comment or CONFIDENCE_COMMENT in comment):
            # the threshold in the unit people see (ask, the page, eval); a comment of the user's own stays
            needed = percent(min_confidence(str(parameters["signal"]), float(parameters["threshold"])))
            comment = f"  # {CONFIDENCE_COMMENT} {needed}"
        return f"{pad}{key}: {value}{comment}{newline}"

    replacements: dict[int, list[str]] = {}
    removals: set[int] = set()
    additions: list[str] = []
    for key, value in (("signal", str(parameters["signal"])), ("threshold", _format_number(parameters["threshold"]))):
        at = find(key)
        if at is None:
            additions.append(scalar_line(None, key, value))
        else:
            replacements[at] = [scalar_line(lines[at], key, value)]
    calibration = parameters.get("calibration")
    at = find("calibration")
    block: list[str] = []
    if calibration is not None:
        block.append(f"{pad}calibration:{newline}")
        block.append(f"{pad}  intercept: {_format_number(calibration['intercept'])}{newline}")
        block.append(f"{pad}  weights:{newline}")
        for feature, weight in calibration["weights"].items():
            block.append(f"{pad}    {feature}: {_format_number(weight)}{newline}")
    if at is not None:
        end = _block_end(lines, at, key_indent)
        replacements[at] = block
        removals.update(range(at + 1, end))
    elif block:
        additions.extend(block)
    output: list[str] = []
    for i, line in enumerate(lines):
        if i in removals:
            continue
        if i in replacements:
            output.extend(replacements[i])
        else:
            output.append(line)
        if i == init_end - 1 or (init_end == init + 1 and i == init):
            if not line.endswith("\n"):
                output[-1] = output[-1] + newline
            output.extend(additions)
    return "".join(output)


def write_tuned_yaml(source: Path, destination: Path, result: TuningResult, name: str = "threshold") -> None:
    """
    Writes `source` with the tuned rule into `destination` (may be the same file), atomically, after checking that
    the new YAML loads as a pipeline and holds exactly the tuned parameters.
    """
    from extractive_qa.app.pipeline_loader import build_pipeline

    try:
        text = source.read_text(encoding="utf-8")
    except OSError as error:
        raise TuningError(f"cannot read the pipeline YAML {source}: {error.strerror or error}") from error
    component = (yaml.safe_load(text) or {}).get("components", {}).get(name)
    if not isinstance(component, dict) or component.get("type") != THRESHOLD_TYPE:
        raise TuningError(f"{source} has no NoAnswerThreshold component '{name}'")
    parameters = result.decision().to_dict()["init_parameters"]
    updated = set_threshold_in_yaml(text, name, parameters)
    data = yaml.safe_load(updated)
    written = data["components"][name].get("init_parameters") or {}
    # the YAML's other settings of the decision (its check of the question's terms) stay as they were
    try:
        current = NoAnswerThreshold.from_dict(
            {"type": THRESHOLD_TYPE, "init_parameters": component.get("init_parameters") or {}}
        )
    except ValueError:
        current = NoAnswerThreshold()
    expected = current.with_rule(result.threshold, result.signal, result.calibration)
    if NoAnswerThreshold.from_dict({"type": THRESHOLD_TYPE, "init_parameters": written}).to_dict() != (
        expected.to_dict()
    ):
        raise TuningError(f"editing {source} did not give the tuned parameters; edit it by hand: {parameters}")
    try:
        build_pipeline(data)
    except Exception as error:
        raise TuningError(f"the edited pipeline YAML does not load: {error}") from error
    write_text_atomically(destination, updated)
