"""The README's sync example, run as it stands (in a copy of data/, with a store of the test's own)."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

from extractive_qa.testing.paths import DATA_DIR, ROOT
from extractive_qa.testing.processes import run_cli


def readme_commands(marker: str) -> list[list[str]]:
    """The commands of the README's bash block after `marker`, without their comments."""
    text = (ROOT / "README.md").read_text("utf-8")
    block = text.split(marker, 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    return [shlex.split(line, comments=True) for line in block.splitlines() if line.strip()]


def test_the_readme_sync_example_runs_as_documented(tmp_path: Path) -> None:
    shutil.copytree(DATA_DIR, tmp_path / "data")
    commands = readme_commands("<!-- sync-example -->")
    assert [command[:2] for command in commands] == [
        ["extractive-qa", "index"],
        ["extractive-qa", "index"],
        ["extractive-qa", "sources"],
        ["extractive-qa", "remove"],
    ]
    env = {"EQA_STORE_PATH": str(tmp_path / "index")}
    outputs = []
    for command in commands:
        done = run_cli(*command[1:], env=env, cwd=tmp_path)
        assert done.returncode == 0, (command, done.stderr)
        outputs.append(done.stdout.strip())
    assert re.fullmatch(
        r"indexed 35 file\(s\) into 1192 passage\(s\) in [\d.]+ s \(35 new, 0 changed, 0 unchanged\)", outputs[0]
    )
    assert re.fullmatch(
        r"indexed 0 file\(s\) into 0 passage\(s\) in [\d.]+ s \(0 new, 0 changed, 35 unchanged\)", outputs[1]
    )
    listed = outputs[2].splitlines()
    assert listed[1].startswith(str(tmp_path / "data" / "Oxygen.txt")) and listed[1].split()[1:4] == ["text", "37", "1"]
    assert listed[-1] == "1 source(s), 37 passage(s)"
    assert outputs[3] == "removed 37 passage(s)"
