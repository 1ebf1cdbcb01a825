"""Webhooks the simulator posts: envelope, headers, JWT, suffixes, retries, event sequences."""

import time

import jwt
import pytest

from .helpers import Api, webhook_object

TO = "5511987654321"
OWN = "5511900001111@s.whatsapp.net"


@pytest.fixture
def api(evolution_simulator):
    return Api(evolution_simulator)


def test_connect_emits_qrcode_then_connection_updates(api, webhook_capture):
    api.create("shop", qrcode=True, webhook=webhook_object(webhook_capture.url))
    api.sim.control.scan("shop", number="5511900001111", profile_name="Loja Exemplo")
    events = webhook_capture.wait_for(lambda r: r.event != "instance.create", count=3)
    qr, connecting, opened = events
    assert qr.event == "qrcode.updated"
    assert qr.body["data"]["qrcode"]["instance"] == "shop"
    assert qr.body["data"]["qrcode"]["base64"].startswith("data:image/png;base64,")
    assert "sender" not in qr.body  # no sender before the first open
    assert connecting.body["data"] == {
        "instance": "shop",
        "state": "connecting",
        "statusReason": 200,
    }
    assert opened.body["data"]["state"] == "open"
    assert opened.body["data"]["wuid"] == OWN
    assert opened.body["data"]["profileName"] == "Loja Exemplo"


def test_envelope_fields(api, webhook_capture, evolution_simulator):
    api.connected("shop", webhook=webhook_object(webhook_capture.url))
    body = webhook_capture.wait_for_event("connection.update", count=2)[-1].body
    assert list(body) == [
        "event",
        "instance",
        "data",
        "destination",
        "date_time",
        "sender",
        "server_url",
        "apikey",
    ]
    assert body["instance"] == "shop"
    assert body["destination"] == webhook_capture.url
    assert body["sender"] == OWN
    assert body["server_url"] == evolution_simulator.url
    assert body["apikey"] is None  # AUTHENTICATION_EXPOSE_IN_FETCH_INSTANCES is off by default
    assert body["date_time"].endswith("Z")


def test_expose_token_switch_puts_the_instance_token_in_apikey(api, webhook_capture):
    api.sim.control.configure(expose_token_in_webhooks=True)
    token = api.connected("shop", webhook=webhook_object(webhook_capture.url))["hash"]
    assert webhook_capture.wait_for_event("connection.update")[0].body["apikey"] == token


def test_custom_headers_and_jwt(api, webhook_capture):
    headers = {"x-alrea-webhook-secret": "s3cr3t", "jwt_key": "a-signing-key-of-at-least-32-bytes!"}
    api.connected("shop", webhook=webhook_object(webhook_capture.url, headers=headers))
    request = webhook_capture.wait_for_event("connection.update")[0]
    assert request.headers["x-alrea-webhook-secret"] == "s3cr3t"
    assert "jwt_key" not in request.headers
    assert request.headers["user-agent"] == "axios/1.13.2"
    scheme, token = request.headers["authorization"].split(" ")
    assert scheme == "Bearer"
    claims = jwt.decode(token, "a-signing-key-of-at-least-32-bytes!", algorithms=["HS256"])
    assert claims["app"] == "evolution" and claims["action"] == "webhook"
    assert claims["exp"] == claims["iat"] + 600


def test_by_events_appends_the_event_suffix(api, webhook_capture):
    api.connected("shop", webhook=webhook_object(webhook_capture.url, byEvents=True))
    api.post("/message/sendText/shop", json={"number": TO, "text": "x"})
    webhook_capture.wait_for_event("messages.update", count=3)
    paths = {r.event: r.path for r in webhook_capture.events()}
    assert paths["connection.update"] == "/connection-update"
    assert paths["send.message"] == "/send-message"
    assert paths["messages.update"] == "/messages-update"
    assert all(r.body["destination"] == webhook_capture.url for r in webhook_capture.events())


def test_only_configured_events_are_posted(api, webhook_capture):
    api.connected("shop", webhook=webhook_object(webhook_capture.url, events=["SEND_MESSAGE"]))
    api.post("/message/sendText/shop", json={"number": TO, "text": "x"})
    webhook_capture.wait_for_event("send.message")
    time.sleep(0.1)
    assert {r.event for r in webhook_capture.events()} == {"send.message"}


def test_send_emits_send_message_then_acks_with_key_id(api, webhook_capture):
    api.connected("shop", webhook=webhook_object(webhook_capture.url))
    sent = api.post("/message/sendText/shop", json={"number": TO, "text": "Oi"}).json()
    updates = webhook_capture.wait_for_event("messages.update", count=3)
    assert webhook_capture.events("send.message")[0].body["data"] == sent
    assert [u.body["data"]["status"] for u in updates] == ["SERVER_ACK", "DELIVERY_ACK", "READ"]
    for update in updates:
        data = update.body["data"]
        assert data["keyId"] == sent["key"]["id"]
        assert data["remoteJid"] == sent["key"]["remoteJid"] and data["fromMe"] is True
        assert data["instanceId"] == sent["instanceId"]
    order = [
        r.event for r in webhook_capture.events() if r.event in ("send.message", "messages.update")
    ]
    assert order[0] == "send.message"


def test_retries_on_500_until_delivered(api, webhook_capture):
    api.connected("shop", webhook=webhook_object(webhook_capture.url, events=["PRESENCE_UPDATE"]))
    webhook_capture.fail_next(2, status=500)
    api.sim.control.presence("shop", TO)
    webhook_capture.wait_for_event("presence.update", count=3)
    assert webhook_capture.answered == [500, 500, 200]
    time.sleep(0.1)
    assert len(webhook_capture.events()) == 3  # delivered once: no more retries


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_no_retry_on_client_errors(api, webhook_capture, status):
    api.connected("shop", webhook=webhook_object(webhook_capture.url, events=["PRESENCE_UPDATE"]))
    webhook_capture.fail_next(1, status=status)
    api.sim.control.presence("shop", TO)
    webhook_capture.wait_for_event("presence.update")
    time.sleep(0.1)
    assert webhook_capture.answered == [status]


def test_duplicate_switch_posts_every_event_twice(api, webhook_capture):
    api.sim.control.configure(duplicate_webhooks=True)
    api.connected("shop", webhook=webhook_object(webhook_capture.url, events=["SEND_MESSAGE"]))
    sent = api.post("/message/sendText/shop", json={"number": TO, "text": "x"}).json()
    copies = webhook_capture.wait_for_event("send.message", count=2)
    assert (
        copies[0].body["data"]["key"]["id"]
        == copies[1].body["data"]["key"]["id"]
        == sent["key"]["id"]
    )


def test_inbound_text_then_contacts_upsert_then_update(api, webhook_capture):
    api.connected("shop", webhook=webhook_object(webhook_capture.url))
    first = api.sim.control.inbound("shop", number=TO, push_name="Maria Souza", text="Oi")
    api.sim.control.inbound("shop", number=TO, push_name="Maria Souza", text="Tudo bem?")
    upsert = webhook_capture.wait_for_event("messages.upsert")[0].body["data"]
    assert upsert == first
    assert upsert["key"]["fromMe"] is False and upsert["status"] == "DELIVERY_ACK"
    assert (
        upsert["key"]["remoteJidAlt"].endswith("@lid") and upsert["key"]["addressingMode"] == "pn"
    )
    assert upsert["message"]["conversation"] == "Oi" and "contextInfo" not in upsert
    assert upsert["source"] == "android" and len(upsert["key"]["id"]) == 32
    created = webhook_capture.wait_for_event("contacts.upsert")[0].body["data"]
    assert created["remoteJid"] == f"{TO}@s.whatsapp.net" and created["pushName"] == "Maria Souza"
    updated = webhook_capture.wait_for_event("contacts.update")[0].body["data"]
    assert updated["instanceId"] == upsert["instanceId"]


@pytest.mark.parametrize(
    ("kind", "message_type"),
    [
        ("image", "imageMessage"),
        ("video", "videoMessage"),
        ("audio", "audioMessage"),
        ("ptt", "audioMessage"),
        ("document", "documentMessage"),
        ("sticker", "stickerMessage"),
        ("location", "locationMessage"),
        ("contact", "contactMessage"),
    ],
)
def test_inbound_content_types(api, webhook_capture, kind, message_type):
    api.connected("shop", webhook=webhook_object(webhook_capture.url))
    api.sim.control.inbound("shop", type=kind, number=TO)
    data = webhook_capture.wait_for_event("messages.upsert")[0].body["data"]
    assert data["messageType"] == message_type
    assert message_type in data["message"] and "messageContextInfo" in data["message"]
    if kind == "ptt":
        assert data["message"]["audioMessage"]["ptt"] is True
    if kind == "contact":
        assert "waid=" in data["message"]["contactMessage"]["vcard"]


def test_inbound_reaction_and_quoted_reply(api, evolution_simulator):
    api.connected("shop")
    sent = api.post("/message/sendText/shop", json={"number": TO, "text": "Promoção!"}).json()
    reaction = evolution_simulator.control.inbound(
        "shop", type="reaction", number=TO, target_id=sent["key"]["id"], emoji="❤️"
    )
    assert reaction["message"]["reactionMessage"]["key"]["id"] == sent["key"]["id"]
    assert reaction["message"]["reactionMessage"]["key"]["fromMe"] is True
    assert reaction["message"]["reactionMessage"]["text"] == "❤️"
    reply = evolution_simulator.control.inbound(
        "shop", number=TO, text="Quero!", quoted_id=sent["key"]["id"]
    )
    assert reply["message"]["conversation"] == "Quero!"
    assert reply["contextInfo"]["stanzaId"] == sent["key"]["id"]
    assert reply["contextInfo"]["participant"] == OWN
    assert reply["contextInfo"]["quotedMessage"] == {"conversation": "Promoção!"}


def test_group_message_with_lid_participant(api, evolution_simulator):
    api.connected("shop")
    data = evolution_simulator.control.inbound(
        "shop", number=TO, group="120363401234567890", addressing="lid", lid="187654321098765"
    )
    assert data["key"]["remoteJid"] == "120363401234567890@g.us"
    assert data["key"]["participant"] == "187654321098765@lid"
    assert data["key"]["participantAlt"] == f"{TO}@s.whatsapp.net"
    assert data["key"]["addressingMode"] == "lid"


def test_lid_chat_is_rewritten_in_2_3_7_and_raw_in_legacy(api, evolution_simulator):
    api.connected("shop")
    spec = {"number": TO, "addressing": "lid", "lid": "187654321098765"}
    current = evolution_simulator.control.inbound("shop", **spec)
    assert current["key"]["remoteJid"] == f"{TO}@s.whatsapp.net"
    assert current["key"]["remoteJidAlt"] == f"{TO}@s.whatsapp.net"
    evolution_simulator.control.configure(version="legacy")
    legacy = evolution_simulator.control.inbound("shop", type="image", **spec)
    assert legacy["key"]["remoteJid"] == "187654321098765@lid"
    image = legacy["message"]["imageMessage"]
    assert isinstance(image["fileSha256"], str) and isinstance(image["fileLength"], str)


def test_2_3_7_encodes_bytes_as_index_objects(api, evolution_simulator):
    api.connected("shop")
    image = evolution_simulator.control.inbound("shop", type="image", number=TO)["message"][
        "imageMessage"
    ]
    assert set(image["fileSha256"]) == {str(i) for i in range(32)}
    assert image["fileLength"] == {"low": 543, "high": 0, "unsigned": True}
    assert image["scanLengths"] == []


def test_customer_replies_after_reading(api, webhook_capture):
    api.sim.control.configure(reply_probability=1.0, reply_texts=["STOP"])
    api.connected("shop", webhook=webhook_object(webhook_capture.url))
    api.post("/message/sendText/shop", json={"number": TO, "text": "Oferta"})
    reply = webhook_capture.wait_for_event("messages.upsert")[0].body["data"]
    assert reply["message"]["conversation"] == "STOP"
    assert reply["key"]["remoteJid"] == f"{TO}@s.whatsapp.net" and reply["key"]["fromMe"] is False
    events = [r.event for r in webhook_capture.events()]
    assert events.index("messages.upsert") > max(
        i for i, e in enumerate(events) if e == "messages.update"
    )


def test_logout_emits_status_logout_and_close(api, webhook_capture):
    api.connected("shop", webhook=webhook_object(webhook_capture.url))
    api.delete("/instance/logout/shop")
    close = webhook_capture.wait_for(
        lambda r: r.body["data"] and r.body["data"].get("state") == "close"
    )
    assert close[0].body["data"] == {"instance": "shop", "state": "close", "statusReason": 401}
    events = [r.event for r in webhook_capture.events()]
    assert events[-3:] == ["status.instance", "logout.instance", "connection.update"]


def test_disconnect_with_other_reasons_reconnects_silently(api, webhook_capture):
    api.connected("shop", webhook=webhook_object(webhook_capture.url, events=["CONNECTION_UPDATE"]))
    webhook_capture.wait_for_event("connection.update", count=2)
    api.sim.control.disconnect("shop", status_reason=428)
    updates = webhook_capture.wait_for_event("connection.update", count=4)
    assert [u.body["data"]["state"] for u in updates[2:]] == ["connecting", "open"]
    assert api.get("/instance/connectionState/shop").json()["instance"]["state"] == "open"


def test_injected_delete_and_presence(api, webhook_capture):
    api.connected("shop", webhook=webhook_object(webhook_capture.url))
    inbound = api.sim.control.inbound("shop", number=TO)
    api.sim.control.delete_message("shop", inbound["key"]["id"])
    edited = webhook_capture.wait_for_event("messages.edited")[0].body["data"]
    assert edited["type"] == "REVOKE"
    deleted = webhook_capture.wait_for_event("messages.delete")[0].body["data"]
    assert deleted["id"] == inbound["key"]["id"] and deleted["status"] == "DELETED"
    api.sim.control.presence("shop", TO, "composing")
    presence = webhook_capture.wait_for_event("presence.update")[0].body["data"]
    assert presence["presences"][f"{TO}@s.whatsapp.net"] == {"lastKnownPresence": "composing"}


def test_base64_webhook_adds_the_media(api, webhook_capture):
    api.connected("shop", webhook=webhook_object(webhook_capture.url, base64=True))
    api.sim.control.inbound("shop", type="image", number=TO)
    data = webhook_capture.wait_for_event("messages.upsert")[0].body["data"]
    assert data["message"]["base64"].startswith("/9j/")
