"""The chat page's live extras in Chromium, end to end (daphne, the webhook worker, the
simulator as WhatsApp): the customer typing shows and goes, the number's banner follows a
disconnect and a reconnect without a reload, and a conversation handed to Alice pops up as a
toast that opens it on the chat page."""

import re

import pytest
from playwright.sync_api import expect

from chat import routing
from chat.models import Conversation, Message
from tests.browser.chromium import chromium_page, in_another_thread, log_in
from tests.browser.test_chat_page import (  # noqa: F401  (site: a fixture)
    CUSTOMER,
    connected_sales_line,
    site,
    wait_for,
)
from tests.conftest import CAST_PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_typing_the_number_banner_and_a_toast_live(site, cast, evolution_simulator):  # noqa: F811
    control = evolution_simulator.control
    line = connected_sales_line(cast, control)
    control.inbound(line.evolution_name, number=CUSTOMER, push_name="Maria", text="Olá!")
    chat = wait_for(lambda: Conversation.objects.filter(instance=line).first())
    wait_for(lambda: Message.objects.filter(conversation=chat).exists())

    with chromium_page(site, locale="en-US") as page:
        said = []  # what the chat socket said: presence is not caught up, so wait for "ready"
        page.on(
            "websocket",
            lambda ws: (
                "/ws/chat/" in ws.url and ws.on("framereceived", lambda frame: said.append(frame))
            ),
        )
        log_in(page, "alice@acme.test", CAST_PASSWORD)
        page.goto(f"/chat/{chat.pk}/")
        expect(page.locator("#chat-messages")).to_contain_text("Olá!")
        for _wait in range(100):
            if any('"ready"' in str(frame) for frame in said):
                break
            page.wait_for_timeout(50)
        else:
            raise AssertionError("the chat socket never said ready")

        typing, banner = page.locator("#chat-presence"), page.locator("#chat-instance-banner")
        control.presence(line.evolution_name, CUSTOMER, "composing")
        expect(typing).to_have_text("typing…", timeout=4000)
        control.presence(line.evolution_name, CUSTOMER, "paused")
        expect(typing).to_be_hidden(timeout=4000)

        expect(banner).to_be_hidden()
        control.disconnect(line.evolution_name)
        expect(banner).to_be_visible(timeout=4000)
        expect(banner).to_contain_text("messages to the customer will fail")
        control.scan(line.evolution_name, number="5511900001111")
        expect(banner).to_be_hidden(timeout=4000)

        in_another_thread(lambda: routing.assign(chat, cast.alice, by=cast.marcos))
        # Its title is in the site's language (pt-BR, no request in that thread): match the name.
        toast = page.locator("#notification-toasts a", has_text="Maria")
        expect(toast).to_be_visible(timeout=4000)
        toast.click()
        expect(page).to_have_url(re.compile(rf"/chat/{chat.pk}/$"))
