"""The client's sends and chat calls against the simulator, with their error answers."""

import base64

import pytest

from tests.whatsapp.client.conftest import CUSTOMER
from whatsapp import evolution
from whatsapp.evolution import MessageKey, Quote

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def test_send_text_returns_the_sent_message(simulator, evo, connected):
    sent = evo.send_text(connected, CUSTOMER, "Olá!", delay=1200, link_preview=False)

    assert sent.remote_jid == "5511987654321@s.whatsapp.net"
    assert sent.key_id.startswith("3EB0") and len(sent.key_id) == 22
    assert sent.message_type == "conversation"
    assert sent.message == {"conversation": "Olá!"}
    assert sent.timestamp.tzinfo is not None
    [recorded] = simulator.control.sent(connected)
    assert recorded["key"]["id"] == sent.key_id


def test_send_text_quotes_a_message(simulator, evo, connected):
    quoted = Quote(
        MessageKey("A1B2C3D4E5F60718293A4B5C6D7E8F90", "5511987654321@s.whatsapp.net", False),
        {"conversation": "texto citado"},
    )
    sent = evo.send_text(connected, CUSTOMER, "Respondendo", quoted=quoted)

    context = simulator.control.sent(connected)[-1].get("contextInfo") or {}
    assert context.get("stanzaId") == "A1B2C3D4E5F60718293A4B5C6D7E8F90"
    assert sent.message == {"conversation": "Respondendo"}


def test_empty_text_is_a_validation_error(evo, connected):
    with pytest.raises(evolution.ValidationError) as refused:
        evo.send_text(connected, CUSTOMER, "   ")
    assert refused.value.messages == ["Text is required"]


def test_a_number_not_on_whatsapp_is_named(simulator, evo, connected):
    simulator.control.set_not_on_whatsapp(["5511911112222"])
    with pytest.raises(evolution.NotOnWhatsApp) as missing:
        evo.send_text(connected, "+5511911112222", "Oi")
    assert missing.value.status == 400
    assert missing.value.number == "5511911112222"
    assert missing.value.jid == "5511911112222@s.whatsapp.net"
    assert simulator.control.sent(connected) == []


def test_sending_on_a_closed_session_is_disconnected(evo, instance):
    with pytest.raises(evolution.Disconnected) as closed:
        evo.send_text(instance.name, CUSTOMER, "Oi")
    assert closed.value.status in (400, 500)


def test_sending_after_logout_is_disconnected(evo, connected):
    evo.logout(connected)
    with pytest.raises(evolution.Disconnected):
        evo.send_text(connected, CUSTOMER, "Oi")


def test_send_media_by_url(simulator, evo, connected):
    sent = evo.send_media(
        connected,
        CUSTOMER,
        "https://files.example.com/contrato.pdf",
        mediatype="document",
        mimetype="application/pdf",
        file_name="contrato.pdf",
        caption="Seu contrato",
    )
    assert sent.message_type == "documentMessage"
    assert sent.message["documentMessage"]["fileName"] == "contrato.pdf"
    assert sent.message["documentMessage"]["mimetype"] == "application/pdf"


def test_send_media_from_bytes(evo, connected):
    sent = evo.send_media(
        connected, CUSTOMER, PNG, mediatype="image", mimetype="image/png", file_name="dot.png"
    )
    assert sent.message_type == "imageMessage"


def test_a_local_url_is_refused_with_the_servers_reason(evo, connected):
    with pytest.raises(evolution.ValidationError) as refused:
        evo.send_media(
            connected,
            CUSTOMER,
            "http://localhost:8000/x.png",
            mediatype="image",
            mimetype="image/png",
            file_name="x.png",
        )
    assert refused.value.messages == ["Owned media must be a url or base64"]


def test_an_unknown_mediatype_is_a_nested_validation_error(evo, connected):
    with pytest.raises(evolution.ValidationError) as refused:
        evo.send_media(
            connected, CUSTOMER, PNG, mediatype="sticker", mimetype="image/png", file_name="a.png"
        )
    assert len(refused.value.messages) == 1
    assert "mediatype" in refused.value.messages[0]


def test_send_audio_is_a_voice_note(evo, connected):
    sent = evo.send_audio(connected, CUSTOMER, "https://files.example.com/a.mp3", delay=500)
    assert sent.message_type == "audioMessage"
    assert sent.message["audioMessage"]["ptt"] is True


def test_send_location(evo, connected):
    sent = evo.send_location(
        connected,
        CUSTOMER,
        latitude=-23.5614,
        longitude=-46.6559,
        name="MASP",
        address="Av. Paulista, 1578",
    )
    assert sent.message_type == "locationMessage"
    assert sent.message["locationMessage"]["degreesLatitude"] == -23.5614


def test_send_reaction_targets_a_message(evo, connected):
    target = evo.send_text(connected, CUSTOMER, "Oi")
    key = MessageKey(target.key_id, target.remote_jid, True)

    sent = evo.send_reaction(connected, key, "👍")

    assert sent.message_type == "reactionMessage"
    assert sent.message["reactionMessage"]["key"]["id"] == target.key_id
    with pytest.raises(evolution.ValidationError):
        evo.send_reaction(connected, key, "not an emoji")


def test_check_numbers(simulator, evo, connected):
    simulator.control.set_not_on_whatsapp(["5511911112222"])
    checks = evo.check_numbers(connected, [CUSTOMER, "+5511911112222"])
    assert {c.number: c.exists for c in checks} == {
        "5511987654321": True,
        "5511911112222": False,
    }
    assert {c.jid for c in checks} == {
        "5511987654321@s.whatsapp.net",
        "5511911112222@s.whatsapp.net",
    }


def test_mark_as_read(evo, simulator, connected):
    inbound = simulator.control.inbound(connected, "text", number="5511987654321", text="Oi")
    key = MessageKey(inbound["key"]["id"], inbound["key"]["remoteJid"], False)
    assert evo.mark_as_read(connected, [key]) is None


def test_send_presence_blocks_for_its_delay(evo, connected):
    assert evo.send_presence(connected, CUSTOMER, "composing", 300) is None
    with pytest.raises(evolution.ValidationError):
        evo.send_presence(connected, CUSTOMER, "dancing", 300)


def test_fetch_profile_picture(evo, connected):
    picture = evo.fetch_profile_picture(connected, CUSTOMER)
    assert picture.jid == "5511987654321@s.whatsapp.net"
    assert picture.url is None or picture.url.startswith("http")


def test_get_media_of_a_received_image(simulator, evo, connected):
    inbound = simulator.control.inbound(
        connected, "image", number="5511987654321", caption="Comprovante"
    )
    key = MessageKey(inbound["key"]["id"], inbound["key"]["remoteJid"], False)

    media = evo.get_media(connected, key)

    assert media.media_type == "imageMessage"
    assert media.mimetype.startswith("image/")
    assert media.caption == "Comprovante"
    assert media.data and media.file_name
    # The whole webhook message object works as well as its key.
    assert evo.get_media(connected, inbound).data == media.data


def test_get_media_of_an_unknown_message_is_refused(evo, connected):
    with pytest.raises(evolution.ValidationError) as refused:
        evo.get_media(connected, MessageKey("NOPE", "5511987654321@s.whatsapp.net", False))
    assert refused.value.messages == ["Message not found"]
