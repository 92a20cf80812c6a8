"""Take the README's screenshot of the web page's answer view with headless Chromium.

Indexes the bundled documents (``data/``) into a temporary store, starts ``extractive-qa serve`` on a free loopback
port with the given model, asks a question in the page (Debian's chromium + chromium-driver, driven by selenium)
and saves the answer view as a PNG.

Usage::

    .venv/bin/python scripts/page_screenshot.py --model ../shared/models/minilm-squad-mini --output docs/page-answer.png
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extractive_qa.testing.browser import chromium, missing_browser  # noqa: E402
from extractive_qa.testing.paths import SHARED_MODEL  # noqa: E402
from extractive_qa.testing.processes import (  # noqa: E402
    free_port,
    process_environment,
    serve_command,
    start_server,
)

DEFAULT_QUESTION = "What is the atomic number of oxygen?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=os.environ.get("EQA_MODEL") or str(SHARED_MODEL))
    parser.add_argument("--output", default=str(ROOT / "docs" / "page-answer.png"))
    parser.add_argument("--question", default=DEFAULT_QUESTION)
    parser.add_argument("--width", type=int, default=900)
    parser.add_argument("--height", type=int, default=1150)
    args = parser.parse_args()
    reason = missing_browser()
    if reason:
        raise SystemExit(f"cannot take the screenshot: {reason}")

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with tempfile.TemporaryDirectory(prefix="eqa-screenshot-") as tmp:
        env = process_environment(EQA_MODEL=args.model, EQA_STORE_PATH=f"{tmp}/store.json", HF_HUB_OFFLINE="1")
        cli = [sys.executable, "-m", "extractive_qa.cli"]
        subprocess.run([*cli, "index", str(ROOT / "data"), "--no-progress"], env=env, check=True)
        port = free_port()
        try:
            server = start_server(serve_command(port), env, Path(tmp) / "server.log", port, pipelines=["ask"])
        except RuntimeError as error:
            raise SystemExit(f"the server did not start: {error}") from None
        try:
            url = server.url
            with chromium(Path(tmp) / "profile", width=args.width, height=args.height) as browser:
                browser.get(f"{url}/")
                wait = WebDriverWait(browser, 60)
                wait.until(lambda b: "passage(s) indexed" in b.find_element(By.ID, "passages").text)
                browser.find_element(By.ID, "question").send_keys(args.question)
                browser.find_element(By.ID, "ask-button").click()
                wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#results .answer"))
                browser.execute_script("document.activeElement.blur()")
                Path(args.output).parent.mkdir(parents=True, exist_ok=True)
                browser.save_screenshot(args.output)
        finally:
            server.stop()
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
