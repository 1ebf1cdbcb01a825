"""Agents' signatures: added on the server when the composer's "Sign" box is ticked, to texts
and captions (never to internal notes); each agent edits their own on the chat page, admins
edit anyone's of the company in Users."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from chat.models import Message
from tests.chat.test_composer_upload import PDF, upload
from tests.chat.test_sending import chat_with, deliver

pytestmark = pytest.mark.django_db


def send(client, user, conversation, **fields):
    client.force_login(user)
    return client.post(reverse("chat:send", args=[conversation.pk]), fields)


def stored(answer) -> Message:
    assert answer.status_code == 201, answer.content
    return Message.objects.get(pk=answer.json()["message"]["id"])


def test_without_a_signature_of_her_own_alice_signs_with_her_name(client, cast, line, simulator):
    chat = chat_with(line, "+5511987654321")
    message = stored(send(client, cast.alice, chat, body="Olá!", sign="1"))
    name = cast.alice.get_full_name()
    assert message.body == f"*{name}*:\nOlá!"
    deliver(message)
    [sent] = simulator.control.sent(line.evolution_name)
    assert sent["message"]["conversation"] == f"*{name}*:\nOlá!"


def test_her_own_signature_goes_where_she_put_it(client, cast, conversations):
    User.objects.filter(pk=cast.alice.pk).update(
        chat_signature="— Alice, Vendas", chat_signature_position="after"
    )
    message = stored(send(client, cast.alice, conversations["sales"], body="Olá!", sign="1"))
    assert message.body == "Olá!\n\n— Alice, Vendas"


def test_unticked_or_in_a_note_nothing_is_added(client, cast, conversations):
    chat = conversations["sales"]
    assert stored(send(client, cast.alice, chat, body="Olá!")).body == "Olá!"
    note = stored(send(client, cast.alice, chat, body="Cliente VIP", note="1", sign="1"))
    assert (note.type, note.body) == (Message.Type.NOTE, "Cliente VIP")


def test_a_files_caption_is_signed_and_a_file_without_one_stays_bare(
    client, cast, conversations, media_root
):
    chat = conversations["sales"]
    name = cast.alice.get_full_name()
    with_caption = upload(
        client, cast.alice, chat, "a.pdf", PDF, "application/pdf", caption="Boleto", sign="1"
    )
    assert stored(with_caption).caption == f"*{name}*:\nBoleto"
    bare = upload(client, cast.alice, chat, "b.pdf", PDF, "application/pdf", sign="1")
    assert stored(bare).caption == ""


def test_a_text_too_long_once_signed_is_refused(client, cast, conversations):
    answer = send(client, cast.alice, conversations["sales"], body="x" * 4090, sign="1")
    assert answer.status_code == 400 and "too long" in answer.json()["error"]
    assert not Message.objects.filter(conversation=conversations["sales"]).exists()


# --- Editing it --------------------------------------------------------------------------


def save(client, user, **fields):
    client.force_login(user)
    return client.post(reverse("chat:signature"), fields)


def test_an_agent_saves_her_own_signature(client, cast):
    answer = save(client, cast.alice, signature="  *Alice* (Vendas):  ", position="after")
    assert answer.status_code == 200
    assert answer.json() == {
        "signature": "*Alice* (Vendas):",
        "position": "after",
        "shown": "*Alice* (Vendas):",
    }
    cast.alice.refresh_from_db()
    assert (cast.alice.chat_signature, cast.alice.chat_signature_position) == (
        "*Alice* (Vendas):",
        "after",
    )
    cast.ana.refresh_from_db()
    assert cast.ana.chat_signature == ""  # only her own
    # Emptied: back to her name.
    cleared = save(client, cast.alice, signature="", position="before")
    assert cleared.json()["shown"] == f"*{cast.alice.get_full_name()}*:"


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"signature": "x" * 101, "position": "before"}, "too long"),
        ({"signature": "Alice", "position": "sideways"}, "Choose where"),
        ({"signature": "Alice"}, "Choose where"),
    ],
)
def test_bad_signatures_are_refused(client, cast, fields, error):
    answer = save(client, cast.alice, **fields)
    assert answer.status_code == 400 and error in answer.json()["error"]
    cast.alice.refresh_from_db()
    assert cast.alice.chat_signature == ""


def test_saving_a_signature_needs_a_session_a_post_and_the_csrf_token(client, cast):
    url = reverse("chat:signature")
    assert client.post(url, {"signature": "x", "position": "before"}).status_code == 302
    client.force_login(cast.alice)
    assert client.get(url).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(cast.alice)
    assert strict.post(url, {"signature": "x", "position": "before"}).status_code == 403
    cast.alice.refresh_from_db()
    assert cast.alice.chat_signature == ""


def test_platform_staff_have_no_chat_signature_to_save(client, cast):
    staff = User.objects.filter(is_superuser=True).first()
    client.force_login(staff)
    assert client.post(reverse("chat:signature"), {"position": "before"}).status_code == 403


def test_the_page_ticks_sign_for_an_agent_with_a_signature(client, cast, conversations):
    client.force_login(cast.alice)
    url = reverse("chat:conversation", args=[conversations["sales"].pk])
    assert 'name="sign" value="1" checked' not in client.get(url).content.decode()
    User.objects.filter(pk=cast.alice.pk).update(chat_signature="*Alice*:")
    page = client.get(url).content.decode()
    assert 'name="sign" value="1" checked' in page
    assert 'value="*Alice*:"' in page


def test_an_admin_edits_the_signature_in_users(client, cast):
    client.force_login(cast.ana)
    page = client.get(reverse("admin:accounts_user_change", args=[cast.alice.pk]))
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert {"chat_signature", "chat_signature_position"} <= set(form.fields)
