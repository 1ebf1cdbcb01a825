"""The message admin: scoped like the conversations, read-only, raw metadata readable."""

import pytest

from chat.admin import message_list_url
from chat.models import Attachment, Message
from tests.admin.walk import admin_url, snapshot
from tests.chat.conftest import make_message


@pytest.fixture
def messages(conversations):
    return {
        key: make_message(conversation, 5, f"{key} text", provider_id=f"WA-{key}")
        for key, conversation in conversations.items()
    }


def _listed(client, url=None, **params):
    response = client.get(url or admin_url(Message, "changelist"), params)
    assert response.status_code == 200
    return {m.body for m in response.context["cl"].result_list}


def test_tenant_admin_lists_only_own_tenant_messages(cast, login, messages):
    assert _listed(login(cast.gabriel)) == {"globex text"}
    assert "globex text" not in _listed(login(cast.ana))


def test_other_tenant_message_answers_404(cast, login, messages):
    client = login(cast.gabriel)
    for view in ("change", "history", "delete"):
        assert client.get(admin_url(Message, view, messages["sales"])).status_code == 404


def test_agent_sees_messages_of_conversations_she_sees(cast, login, messages):
    client = login(cast.alice)
    assert _listed(client) == {"sales text", "support_for_alice text", "inbox_for_alice text"}
    assert client.get(admin_url(Message, "change", messages["support"])).status_code == 404


def test_search_by_provider_id(cast, login, messages):
    client = login(cast.ana)
    assert _listed(client, q="WA-support") == {"support text"}
    assert _listed(login(cast.gabriel), q="WA-support") == set()


def test_list_of_one_conversation(cast, login, conversations, messages):
    make_message(conversations["sales"], 1, "another sales text")
    client = login(cast.ana)
    url = message_list_url(conversations["sales"])
    assert _listed(client, url) == {"sales text", "another sales text"}
    # Another tenant's conversation id filters down to nothing.
    assert _listed(login(cast.gabriel), url) == set()


@pytest.mark.parametrize("persona", ["ana", "alice", "staff"])
def test_nobody_changes_a_message(cast, login, messages, persona):
    message = messages["sales"]
    before = snapshot(message)
    client = login(cast.users[persona])
    response = client.post(admin_url(Message, "change", message), {"body": "forged"})
    assert response.status_code == 403
    assert snapshot(message) == before
    assert client.get(admin_url(Message, "add")).status_code == 403


def test_detail_shows_metadata_pretty_printed_and_the_attachment(cast, login, conversations):
    message = make_message(
        conversations["sales"],
        1,
        type=Message.Type.DOCUMENT,
        metadata={"documentMessage": {"fileName": "contract.pdf", "fileLength": "1024"}},
    )
    Attachment.objects.create(
        tenant=cast.acme, message=message, mimetype="application/pdf", file_name="contract.pdf"
    )
    response = login(cast.ana).get(admin_url(Message, "change", message))
    assert response.status_code == 200
    page = response.content.decode()
    assert "&quot;documentMessage&quot;: {\n    &quot;fileLength&quot;" in page
    assert "application/pdf" in page
    assert 'name="attachment-0-file_name"' not in page  # shown, not editable


def _failed(conversation, key):
    return make_message(
        conversation,
        3,
        f"{key} failed",
        direction=Message.Direction.OUTBOUND,
        status=Message.Status.FAILED,
        error="Not sent: the WhatsApp number is disconnected.",
    )


def _send_again(client, *messages_chosen):
    return client.post(
        admin_url(Message, "changelist"),
        {"action": "send_again", "_selected_action": [str(m.pk) for m in messages_chosen]},
        follow=True,
    )


def test_an_agent_sends_her_failed_message_again(cast, login, conversations, messages):
    failed = _failed(conversations["sales"], "sales")
    response = _send_again(login(cast.alice), failed, messages["sales"])
    assert response.status_code == 200
    texts = [str(m) for m in response.context["messages"]]
    assert "1 message queued again." in texts
    assert any("only failed messages of ours" in text for text in texts)
    failed.refresh_from_db()
    assert (failed.status, failed.error) == (Message.Status.PENDING, "")


def test_nobody_sends_again_a_message_they_cannot_see(cast, login, conversations):
    acme_support = _failed(conversations["support"], "support")  # not alice's department
    acme_sales = _failed(conversations["sales"], "sales")
    _send_again(login(cast.alice), acme_support)
    _send_again(login(cast.gabriel), acme_sales)  # another company
    for message in (acme_support, acme_sales):
        message.refresh_from_db()
        assert message.status == Message.Status.FAILED
