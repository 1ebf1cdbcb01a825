"""Without a socket (pytest-django's live server speaks HTTP only) the chat page polls: a
message stored meanwhile still appears, once."""

import pytest
from playwright.sync_api import expect

from tests.browser.chromium import chromium_page, in_another_thread, log_in
from tests.chat.conftest import make_conversation, make_line, make_message
from tests.conftest import CAST_PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_without_a_socket_the_page_polls_and_shows_each_message_once(live_server, cast):
    chat = make_conversation(
        make_line(cast.acme, "Acme-line"),
        "5511911110001",
        name="Maria",
        department=cast.departments[("acme", "Sales")],
    )
    make_message(chat, 5, body="Primeira")
    with chromium_page(live_server.url, locale="en-US") as page:
        log_in(page, "alice@acme.test", CAST_PASSWORD)
        page.goto(f"/chat/{chat.pk}/")
        messages = page.locator("#chat-messages")
        expect(messages).to_contain_text("Primeira")
        expect(page.locator("#chat-offline")).to_be_visible()

        in_another_thread(lambda: make_message(chat, 0, body="Chegou pelo poll"))
        expect(messages).to_contain_text("Chegou pelo poll", timeout=8000)
        page.wait_for_timeout(5500)  # one more poll: the overlap brings it again
        expect(messages.locator("li", has_text="Chegou pelo poll")).to_have_count(1)
