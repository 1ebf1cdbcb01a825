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
