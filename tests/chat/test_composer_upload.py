"""Files from the composer: checked, stored under the tenant's prefix, shown at once with a
preview, sent by chat.send through the right Evolution call (the simulator), failures kept on
the message with "send again"; every refusal clear and nothing stored for it."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from chat.models import Attachment, Conversation, Message
from media import storage
from tests.chat.test_sending import chat_with, deliver
from whatsapp import evolution, servers

pytestmark = pytest.mark.django_db
S, T = Message.Status, Message.Type
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
OGG = b"OggS" + b"\x00" * 60


def png(width=640, height=480) -> bytes:
    out = BytesIO()
    Image.new("RGB", (width, height), "teal").save(out, "PNG")
    return out.getvalue()


def upload(client, user, conversation, name, data, content_type, **fields):
    client.force_login(user)
    return client.post(
        reverse("chat:upload", args=[conversation.pk]),
        {"file": SimpleUploadedFile(name, data, content_type), **fields},
    )


def stored_files(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture
def chat(line, media_root):
    return chat_with(line, "+5511987654321")


def test_an_image_is_stored_under_the_tenant_and_shown_at_once_with_its_preview(
    client, cast, chat, media_root
):
    answer = upload(
        client, cast.alice, chat, "recibo.png", png(), "image/png", caption="Seu recibo"
    )

    assert answer.status_code == 201
    shown = answer.json()["message"]
    message = Message.objects.get(pk=shown["id"])
    attachment = message.attachment
    assert (message.type, message.status, message.caption, message.sent_by) == (
        T.IMAGE,
        S.PENDING,
        "Seu recibo",
        cast.alice,
    )
    assert (attachment.status, attachment.mimetype, attachment.file_name, attachment.size) == (
        Attachment.Status.READY,
        "image/png",
        "recibo.png",
        len(png()),
    )
    assert (attachment.width, attachment.height) == (640, 480)
    assert stored_files(media_root) == [
        f"{cast.acme.pk}/attachments/{attachment.pk}.png",
        f"{cast.acme.pk}/thumbnails/{attachment.pk}.jpg",
    ]
    assert shown["attachment"]["url"] == f"/media/attachments/{attachment.pk}/"
    assert shown["attachment"]["preview"] == f"/media/attachments/{attachment.pk}/preview/"
    assert shown["caption"] == "Seu recibo" and shown["status"] == "pending"
    chat.refresh_from_db()
    assert chat.last_message_preview == "Seu recibo"
    # The agent's media view serves what was stored.
    assert client.get(shown["attachment"]["url"]).status_code == 200


def test_chat_send_sends_the_image_with_its_caption_and_bytes(client, cast, chat, simulator):
    answer = upload(client, cast.alice, chat, "recibo.png", png(), "image/png", caption="Recibo")
    message = Message.objects.get(pk=answer.json()["message"]["id"])

    deliver(message)
    deliver(message, attempt=2)  # a redelivery sends nothing more

    [sent] = simulator.control.sent(chat.instance.evolution_name)
    assert sent["message"]["imageMessage"]["caption"] == "Recibo"
    assert (message.status, message.provider_id) == (S.SENT, sent["key"]["id"])
    with servers.client_for(chat.instance) as evo:
        media = evo.get_media(
            chat.instance.evolution_name,
            evolution.MessageKey(
                id=sent["key"]["id"], remote_jid=sent["key"]["remoteJid"], from_me=True
            ),
        )
    assert media.data == png()


def test_a_document_keeps_its_name_and_type(client, cast, chat, simulator):
    answer = upload(client, cast.alice, chat, "contrato.pdf", PDF, "application/pdf")
    message = Message.objects.get(pk=answer.json()["message"]["id"])
    assert message.type == T.DOCUMENT
    assert answer.json()["message"]["attachment"]["preview"] == ""
    deliver(message)
    [sent] = simulator.control.sent(chat.instance.evolution_name)
    document = sent["message"]["documentMessage"]
    assert (document["fileName"], document["mimetype"]) == ("contrato.pdf", "application/pdf")
    assert message.status == S.SENT


def test_audio_goes_as_a_voice_note(client, cast, chat, simulator):
    answer = upload(client, cast.alice, chat, "recado.ogg", OGG, "audio/ogg")
    message = Message.objects.get(pk=answer.json()["message"]["id"])
    assert message.type == T.AUDIO and message.attachment.is_voice_note
    deliver(message)
    [sent] = simulator.control.sent(chat.instance.evolution_name)
    assert sent["message"]["audioMessage"]["ptt"] is True
    assert message.status == S.SENT


def test_a_file_whose_type_is_not_what_it_claims_is_sent_as_a_document(client, cast, chat):
    answer = upload(client, cast.alice, chat, "foto.jpg", b"just some text", "image/jpeg")
    assert answer.status_code == 201
    message = Message.objects.get(pk=answer.json()["message"]["id"])
    assert (message.type, message.attachment.mimetype) == (T.DOCUMENT, "application/octet-stream")


def test_a_reply_with_a_file_quotes_the_message(client, cast, chat):
    question = Message.objects.create(
        tenant=chat.tenant,
        conversation=chat,
        direction=Message.Direction.INBOUND,
        body="Manda o boleto?",
        provider_id="IN-1",
        timestamp=chat.created_at,
    )
    answer = upload(client, cast.alice, chat, "b.pdf", PDF, "application/pdf", quoted=question.pk)
    assert answer.json()["message"]["quoted"]["id"] == str(question.pk)


def test_on_s3_the_file_is_in_the_bucket_under_the_tenant_and_sent_from_there(
    client, cast, chat, s3, simulator
):
    answer = upload(client, cast.alice, chat, "contrato.pdf", PDF, "application/pdf")
    message = Message.objects.get(pk=answer.json()["message"]["id"])
    attachment = message.attachment
    assert attachment.storage == Attachment.Storage.S3
    listed = s3.list_objects_v2(Bucket=s3.bucket)["Contents"]
    assert [o["Key"] for o in listed] == [f"{cast.acme.pk}/attachments/{attachment.pk}.pdf"]
    deliver(message)
    assert message.status == S.SENT


def test_a_disconnected_number_fails_the_file_and_it_can_be_sent_again(
    client, cast, chat, simulator
):
    simulator.control.disconnect(chat.instance.evolution_name)
    answer = upload(client, cast.alice, chat, "contrato.pdf", PDF, "application/pdf")
    message = Message.objects.get(pk=answer.json()["message"]["id"])
    deliver(message)
    assert message.status == S.FAILED and "disconnected" in message.error

    simulator.control.scan(chat.instance.evolution_name, number="5511900001111")
    retried = client.post(reverse("chat:retry", args=[message.pk]))
    assert retried.status_code == 200
    deliver(message)
    assert message.status == S.SENT


def test_a_file_missing_from_storage_fails_the_message_with_the_reason(
    client, cast, chat, simulator
):
    answer = upload(client, cast.alice, chat, "contrato.pdf", PDF, "application/pdf")
    message = Message.objects.get(pk=answer.json()["message"]["id"])
    storage.delete(message.attachment.storage, message.attachment.storage_key)
    deliver(message)
    assert message.status == S.FAILED
    assert message.error == "The file to send is missing from storage."
    assert simulator.control.sent(chat.instance.evolution_name) == []


# --- Refusals: a clear error, nothing stored ---------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "content_type", "fields", "error"),
    [
        ("vazio.pdf", b"", "application/pdf", {}, "The file is empty."),
        ("pagina.html", b"<script>x</script>", "text/html", {}, "cannot be sent"),
        ("setup.exe", b"MZ\x90\x00", "application/octet-stream", {}, "cannot be sent"),
        ("desenho.svg", b"<svg/>", "image/svg+xml", {}, "cannot be sent"),
        ("quebrada.png", png()[:60], "image/png", {}, "not a valid image"),
        ("recado.ogg", OGG, "audio/ogg", {"caption": "Oi"}, "voice note has no caption"),
    ],
)
def test_bad_files_are_refused_with_a_clear_error(
    client, cast, chat, media_root, name, data, content_type, fields, error
):
    answer = upload(client, cast.alice, chat, name, data, content_type, **fields)
    assert answer.status_code == 400
    assert error in answer.json()["error"]
    assert not Message.objects.filter(conversation=chat).exists()
    assert stored_files(media_root) == []


def test_a_file_over_the_limit_is_refused_and_the_limit_named(
    client, cast, chat, media_root, settings
):
    settings.CHAT_UPLOAD_MAX_BYTES = 2048
    answer = upload(client, cast.alice, chat, "grande.pdf", PDF + b"0" * 4096, "application/pdf")
    assert answer.status_code == 400
    assert answer.json()["error"].startswith("The file is too large")
    assert "2.0\xa0KB" in answer.json()["error"]
    assert not Message.objects.filter(conversation=chat).exists()
    assert stored_files(media_root) == []


def test_no_file_is_refused(client, cast, chat):
    client.force_login(cast.alice)
    answer = client.post(reverse("chat:upload", args=[chat.pk]), {"caption": "Oi"})
    assert (answer.status_code, answer.json()["error"]) == (400, "Choose a file first.")


def test_a_closed_conversation_takes_no_file(client, cast, chat, media_root):
    Conversation.objects.filter(pk=chat.pk).update(status=Conversation.Status.CLOSED)
    answer = upload(client, cast.alice, chat, "a.pdf", PDF, "application/pdf")
    assert answer.status_code == 400 and "closed" in answer.json()["error"]
    assert stored_files(media_root) == []


# --- Who may upload ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("person", "conversation", "status"),
    [
        ("alice", "sales", 201),  # her department
        ("alice", "support", 404),  # another department
        ("marcos", "sales", 201),  # manager of Sales
        ("marcos", "support", 404),
        ("ana", "support", 201),  # the company's admin
        ("gabriel", "sales", 404),  # another company
        ("gabriel", "globex", 201),
    ],
)
def test_only_who_sees_the_conversation_may_upload(
    client, cast, conversations, media_root, person, conversation, status
):
    chat = conversations[conversation]
    answer = upload(client, getattr(cast, person), chat, "a.pdf", PDF, "application/pdf")
    assert answer.status_code == status
    assert Message.objects.filter(conversation=chat).exists() == (status == 201)


def test_signed_out_visitors_are_sent_to_log_in(client, conversations, media_root):
    answer = client.post(
        reverse("chat:upload", args=[conversations["sales"].pk]),
        {"file": SimpleUploadedFile("a.pdf", PDF, "application/pdf")},
    )
    assert answer.status_code == 302 and "login" in answer["Location"]


def test_the_upload_needs_the_csrf_token(cast, conversations, media_root):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(cast.alice)
    answer = strict.post(
        reverse("chat:upload", args=[conversations["sales"].pk]),
        {"file": SimpleUploadedFile("a.pdf", PDF, "application/pdf")},
    )
    assert answer.status_code == 403
    assert not Message.objects.filter(conversation=conversations["sales"]).exists()
