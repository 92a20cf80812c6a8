"""
Headless Chromium for the page's tests and screenshots: Debian's `chromium` and `chromium-driver` (installed by
`scripts/test.sh`), driven by selenium, on a closed network.

Chromium starts with the flags a machine without network needs (without `--disable-background-networking` and
friends it waits on refused connections to Google's services) and a fresh profile each time.

Usage example:
```python
from pathlib import Path

from extractive_qa.testing.browser import chromium

with chromium(Path("/tmp/profile")) as browser:
    browser.get("http://127.0.0.1:1416/")
    browser.save_screenshot("/tmp/page.png")
```
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--hide-scrollbars",
)


def missing_browser() -> str | None:
    """Why headless Chromium cannot run here (what to install), or `None` when it can."""
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        return "Debian's chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    return None


@contextmanager
def chromium(
    profile: Path, *, width: int = 1000, height: int = 1200, scale: float = 1.0, phone: bool = False
) -> Iterator[Any]:
    """
    A selenium `webdriver.Chrome` on headless Chromium with a fresh profile in `profile` (removed afterwards).

    :param profile: A folder for the browser profile (created; it must not be in use).
    :param width: The viewport's width in CSS pixels.
    :param height: The viewport's height.
    :param scale: The device scale factor (2 for sharp screenshots).
    :param phone: Emulate a phone (touch, mobile viewport) of `width` x `height`: a desktop window is never
        narrower than 500 pixels.
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile.mkdir(parents=True, exist_ok=True)
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    if phone:
        metrics = {"width": width, "height": height, "pixelRatio": scale, "mobile": True, "touch": True}
        options.add_experimental_option("mobileEmulation", {"deviceMetrics": metrics})
    else:
        options.add_argument(f"--window-size={width},{height}")
        options.add_argument(f"--force-device-scale-factor={scale}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        driver.set_page_load_timeout(60)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
