"""Debian's Chromium through Playwright's sync API: shared by the browser tests and by
``python -m tests.browser.screenshot``."""

import shutil
import threading
from contextlib import contextmanager

from django.db import connection
from playwright.sync_api import Page, sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 10_000  # every wait; a healthy page answers in well under a second
VIEWPORT = {"width": 1440, "height": 900}  # wide enough for unfold to show the sidebar (>1280)


@contextmanager
def chromium_page(base_url: str, *, viewport=VIEWPORT, locale="pt-BR"):
    """A fresh Chromium page whose relative URLs resolve against ``base_url``, light theme.

    The locale is the Brazilian one the platform is made for: it sets Accept-Language, which
    Django's LocaleMiddleware follows (headless Chromium would otherwise ask for en-US).
    """
    executable = shutil.which("chromium")
    if executable is None:
        raise RuntimeError("Debian's chromium is not installed: `.ci/setup --browser` installs it")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS, timeout=TIMEOUT_MS
        )
        try:
            context = browser.new_context(
                base_url=base_url, viewport=viewport, locale=locale, color_scheme="light"
            )
            context.set_default_timeout(TIMEOUT_MS)
            context.set_default_navigation_timeout(TIMEOUT_MS)
            yield context.new_page()
        finally:
            browser.close()


def log_in(page: Page, email: str, password: str) -> None:
    """Fill in and submit the real admin login form."""
    page.goto("/admin/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.locator("#login-form button[type=submit]").click()
    page.wait_for_load_state()


def in_another_thread(work):
    """The ORM is off limits in the test's thread while Playwright runs. The thread's
    connection is closed after it, or the test database could not be dropped."""

    def run():
        try:
            work()
        finally:
            connection.close()

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
