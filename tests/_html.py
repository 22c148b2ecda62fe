"""Helpers of the HTML report's tests: a real headless Chromium (Debian's
``chromium`` package) driven by Playwright, and where screenshots go."""

import os
import shutil
from pathlib import Path

import pytest

INSTALL_SCRIPT = "ci/install-browser.sh"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def chromium_path():
    """The Chromium to drive: $MODTRACE_CHROMIUM, else Debian's. The browser
    tests fail (they do not skip) without one: CI installs it."""
    candidates = [os.environ.get("MODTRACE_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                  shutil.which("chromium-browser")]
    for path in candidates:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    pytest.fail(
        "the HTML report's browser tests need headless Chromium: run `bash "
        f"{INSTALL_SCRIPT}` (Debian's chromium package; as root or with sudo), or set "
        "MODTRACE_CHROMIUM to a Chromium executable",
        pytrace=False,
    )


def sync_playwright():
    try:
        from playwright.sync_api import sync_playwright as start
    except ImportError:
        pytest.fail(
            "the HTML report's browser tests need the playwright package: "
            "python -m pip install '.[test]' (its wheel bundles the driver; do not run "
            f"`playwright install`, Chromium comes from {INSTALL_SCRIPT})",
            pytrace=False,
        )
    return start()


class Browser:
    """One Chromium for a test module; :meth:`open` gives a page that records
    script errors and every request it makes."""

    def __init__(self):
        executable = chromium_path()
        self._pw = sync_playwright().start()
        try:
            self.browser = self._pw.chromium.launch(
                executable_path=executable, headless=True, args=["--no-sandbox", "--disable-gpu"]
            )
        except Exception:
            self._pw.stop()
            raise

    def open(self, path, fragment="", width=1400, height=1000):
        page = self.browser.new_page(viewport={"width": width, "height": height})
        page.errors = []
        page.requests = []
        page.dialogs = []
        page.on("pageerror", lambda exc: page.errors.append(f"pageerror: {exc}"))
        page.on("console", lambda msg: page.errors.append(f"console {msg.type}: {msg.text}")
                if msg.type in ("error", "warning") else None)
        page.on("request", lambda req: page.requests.append(req.url))

        def on_dialog(dialog):
            page.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.goto(Path(path).resolve().as_uri() + fragment)
        page.wait_for_selector("body[data-ready]", timeout=15000)
        return page

    def close(self):
        try:
            self.browser.close()
        finally:
            self._pw.stop()


def screenshot(page, name, full_page=False):
    """Save a screenshot of a page (or a locator's element) under tests/artifacts/ (ignored by git) and print its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    ignore = ARTIFACTS / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")
    path = ARTIFACTS / name
    if hasattr(page, "goto"):
        page.screenshot(path=str(path), full_page=full_page)
    else:  # a locator: that element only
        page.screenshot(path=str(path))
    print(f"screenshot: {path}")
    return path
