"""The bell in Chromium: a notification made elsewhere pops up as a toast and bumps the count
over the socket (daphne); another user's never shows; without a socket the bell polls."""

import threading

import pytest
from django.db import connection
from playwright.sync_api import expect

from notifications import services
from notifications.models import Notification
from tests.browser.chromium import chromium_page, log_in
from tests.browser.test_campaign_live_socket import daphne_url  # noqa: F401  (a fixture)
from tests.conftest import CAST_PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def notify_elsewhere(user, title):
    """In another thread: the ORM is off limits in the test's while Playwright runs."""

    def notify():
        try:
            services.notify(user, Notification.Kind.IMPORT_FINISHED, title, "12 contacts", "/x/")
        finally:
            connection.close()  # the thread's own: the test database must be droppable

    worker = threading.Thread(target=notify)
    worker.start()
    worker.join()


def wait_for_socket(page, frames):
    for _wait in range(100):  # the summary: the socket is open and the bell listens
        if frames:
            return
        page.wait_for_timeout(50)
    raise AssertionError("the bell's socket never sent its summary")


def test_a_new_notification_pops_up_and_counts_without_a_reload(daphne_url, cast):  # noqa: F811
    with chromium_page(daphne_url) as page:
        frames = []
        page.on("websocket", lambda ws: ws.on("framereceived", lambda frame: frames.append(frame)))
        log_in(page, "alice@acme.test", CAST_PASSWORD)
        page.goto("/admin/contacts/contact/")
        wait_for_socket(page, frames)
        bell = page.locator("#notification-bell")
        count = bell.locator('[data-role="count"]')
        expect(count).to_be_hidden()

        notify_elsewhere(cast.ana, "Ana's import finished")
        notify_elsewhere(cast.alice, "Alice's import finished")

        toasts = page.locator("#notification-toasts")
        expect(toasts).to_contain_text("Alice's import finished", timeout=3000)
        expect(count).to_have_text("1")
        assert "Ana's" not in toasts.inner_text()

        bell.locator('[data-role="toggle"]').click()
        expect(bell.locator('[data-role="list"]')).to_contain_text("Alice's import finished")
        bell.locator('[data-role="read-all"]').click()
        expect(count).to_be_hidden()


def test_without_a_socket_opening_the_bell_polls(live_server, cast):
    # pytest-django's live server speaks HTTP only: the socket fails, the bell polls.
    with chromium_page(live_server.url) as page:
        log_in(page, "alice@acme.test", CAST_PASSWORD)
        page.goto("/admin/")
        notify_elsewhere(cast.alice, "Alice's import finished")
        with page.expect_response(lambda response: "/notifications/summary/" in response.url):
            page.locator('#notification-bell [data-role="toggle"]').click()
        bell = page.locator("#notification-bell")
        expect(bell.locator('[data-role="list"]')).to_contain_text("Alice's import finished")
        expect(bell.locator('[data-role="count"]')).to_have_text("1")
