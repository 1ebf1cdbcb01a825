"""An agent claims a conversation and transfers it from its admin page, in Chromium."""

import os

import pytest
from playwright.sync_api import expect

from chat.models import Conversation, ConversationEvent
from tests.browser.chromium import chromium_page, log_in
from tests.chat.conftest import make_conversation, make_line
from tests.conftest import CAST_PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_alice_claims_then_transfers_a_sales_conversation(live_server, cast):
    sales = cast.departments[("acme", "Sales")]
    support = cast.departments[("acme", "Support")]
    chat = make_conversation(
        make_line(cast.acme, "Acme-line"), "5511911110001", name="Maria", department=sales
    )
    with chromium_page(live_server.url, locale="en-US") as page:
        log_in(page, "alice@acme.test", CAST_PASSWORD)
        page.goto(f"/admin/chat/conversation/{chat.pk}/change/")
        panel = page.locator("#conversation-routing")

        panel.get_by_role("button", name="Claim").click()
        expect(panel.locator('[data-role="agent"]')).to_have_text(cast.alice.get_full_name())
        expect(page.locator('[data-role="timeline"] [data-kind="claimed"]')).to_have_count(1)
        if os.environ.get("ALREA_SCREENSHOT"):
            page.screenshot(path=os.environ["ALREA_SCREENSHOT"], full_page=True)

        panel.locator("select[name=department]").select_option(str(support.pk))
        panel.locator("textarea[name=reason]").fill("Asked about a refund")
        panel.get_by_role("button", name="Transfer").click()
        # Support is not hers: she is taken back to her list.
        expect(page).to_have_url(f"{live_server.url}/admin/chat/conversation/")

    chat = Conversation.objects.get(pk=chat.pk)
    assert (chat.department, chat.assigned_to) == (support, None)
    transfer = ConversationEvent.objects.get(kind=ConversationEvent.Kind.TRANSFERRED)
    assert (transfer.actor, transfer.reason) == (cast.alice, "Asked about a refund")
