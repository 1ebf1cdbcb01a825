"""/message/* and /chat/*: the message object, number checks, failure switches, error bodies."""

import base64
import re
import time

import pytest

from .helpers import Api

TO = "5511987654321"


@pytest.fixture
def api(evolution_simulator):
    api = Api(evolution_simulator)
    api.connected("shop")
    return api


def message(answer):
    return answer.json()["response"]["message"]


def test_send_text_returns_the_message_object(api, evolution_simulator):
    answer = api.post("/message/sendText/shop", json={"number": TO, "text": "Olá!"})
    assert answer.status_code == 201
    body = answer.json()
    assert re.fullmatch(r"3EB0[0-9A-F]{18}", body["key"]["id"])
    assert body["key"] == {
        "remoteJid": f"{TO}@s.whatsapp.net",
        "fromMe": True,
        "id": body["key"]["id"],
    }
    assert body["pushName"] == "Você" and body["status"] == "PENDING"
    assert body["message"] == {"conversation": "Olá!"}
    assert body["messageType"] == "conversation" and body["source"] == "web"
    assert body["contextInfo"]["disappearingMode"] == {"initiator": 0}
    assert abs(body["messageTimestamp"] - time.time()) < 5
    assert evolution_simulator.control.sent("shop") == [body]


def test_brazilian_ninth_digit_is_dropped_for_ddd_31_and_up(api):
    minas = api.post("/message/sendText/shop", json={"number": "+55 (31) 98765-4321", "text": "x"})
    assert minas.json()["key"]["remoteJid"] == "553187654321@s.whatsapp.net"
    sao_paulo = api.post("/message/sendText/shop", json={"number": "5511987654321", "text": "x"})
    assert sao_paulo.json()["key"]["remoteJid"] == "5511987654321@s.whatsapp.net"
    landline = api.post("/message/sendText/shop", json={"number": "553132654321", "text": "x"})
    assert landline.json()["key"]["remoteJid"] == "553132654321@s.whatsapp.net"


def test_send_text_validation(api):
    missing = api.post("/message/sendText/shop", json={"number": TO})
    assert missing.status_code == 400
    assert message(missing) == [['instance requires property "text"']]
    numeric = api.post("/message/sendText/shop", json={"number": 5511, "text": "x"})
    assert message(numeric) == [["Invalid format"]]
    bad_delay = api.post("/message/sendText/shop", json={"number": TO, "text": "x", "delay": "1"})
    assert message(bad_delay) == [["Enter a value in milliseconds"]]
    blank = api.post("/message/sendText/shop", json={"number": TO, "text": "  "})
    assert message(blank) == ["Text is required"]
    quote = api.post(
        "/message/sendText/shop", json={"number": TO, "text": "x", "quoted": {"key": {}}}
    )
    assert message(quote) == [['quoted.key requires property "id"']]


def test_number_not_on_whatsapp(api, evolution_simulator):
    default_rule = api.post("/message/sendText/shop", json={"number": "5511987650000", "text": "x"})
    assert default_rule.status_code == 400
    assert message(default_rule) == [
        {"jid": "5511987650000@s.whatsapp.net", "exists": False, "number": "5511987650000"}
    ]
    evolution_simulator.control.set_not_on_whatsapp([TO])
    listed = api.post("/message/sendText/shop", json={"number": TO, "text": "x"})
    assert message(listed)[0]["exists"] is False


def test_send_while_disconnected(api, evolution_simulator):
    evolution_simulator.control.disconnect("shop", status_reason=401)
    answer = api.post("/message/sendText/shop", json={"number": TO, "text": "x"})
    assert answer.status_code == 500
    assert answer.json() == {
        "status": 500,
        "error": "Internal Server Error",
        "response": {"message": "Connection Closed"},
    }


def test_error_rate_switch_fails_sends_with_timed_out(api, evolution_simulator):
    evolution_simulator.control.configure(error_rate=1.0)
    answer = api.post("/message/sendText/shop", json={"number": TO, "text": "x"})
    assert answer.status_code == 500 and message(answer) == "Timed Out"


def test_delay_blocks_scaled(api, evolution_simulator):
    evolution_simulator.control.configure(delay_scale=0.2)
    started = time.monotonic()
    api.post("/message/sendText/shop", json={"number": TO, "text": "x", "delay": 1000})
    assert time.monotonic() - started >= 0.2


def test_quoted_send_carries_the_quote(api, evolution_simulator):
    inbound = evolution_simulator.control.inbound("shop", number=TO, text="Quanto custa?")
    body = api.post(
        "/message/sendText/shop",
        json={"number": TO, "text": "R$ 10", "quoted": {"key": {"id": inbound["key"]["id"]}}},
    ).json()
    assert body["contextInfo"]["stanzaId"] == inbound["key"]["id"]
    assert body["contextInfo"]["quotedMessage"] == {"conversation": "Quanto custa?"}


def test_send_media(api):
    url = "https://files.example.com/foto.png"
    body = api.post(
        "/message/sendMedia/shop",
        json={"number": TO, "mediatype": "image", "media": url, "caption": "Oi"},
    ).json()
    assert body["messageType"] == "imageMessage"
    assert body["message"]["imageMessage"]["mimetype"] == "image/jpeg"
    assert body["message"]["imageMessage"]["caption"] == "Oi"
    pdf = base64.b64encode(b"%PDF-1.4 test").decode()
    doc = api.post(
        "/message/sendMedia/shop",
        json={"number": TO, "mediatype": "document", "media": pdf, "fileName": "a.pdf"},
    ).json()
    assert doc["message"]["documentMessage"]["fileName"] == "a.pdf"
    assert doc["message"]["documentMessage"]["mimetype"] == "application/pdf"


@pytest.mark.parametrize(
    "media",
    [
        "http://localhost:8000/x.png",
        "http://web:8000/x.png",
        "data:image/png;base64,iVBORw0K",
        "%%",
    ],
)
def test_send_media_rejects_hosts_without_tld_and_data_uris(api, media):
    answer = api.post(
        "/message/sendMedia/shop", json={"number": TO, "mediatype": "image", "media": media}
    )
    assert answer.status_code == 400
    assert message(answer) == ["Owned media must be a url or base64"]


def test_send_media_accepts_ip_hosts(api):
    answer = api.post(
        "/message/sendMedia/shop",
        json={"number": TO, "mediatype": "image", "media": "http://10.0.0.5:8000/x.png"},
    )
    assert answer.status_code == 201


def test_send_media_errors(api):
    no_name = api.post(
        "/message/sendMedia/shop", json={"number": TO, "mediatype": "document", "media": "QUJD"}
    )
    assert message(no_name) == ["For base64 the file name must be informed."]
    bad_type = api.post(
        "/message/sendMedia/shop", json={"number": TO, "mediatype": "gif", "media": "QUJD"}
    )
    assert message(bad_type) == [
        ["mediatype is not one of enum values: image,document,video,audio"]
    ]


def test_send_audio_is_a_voice_note(api):
    body = api.post(
        "/message/sendWhatsAppAudio/shop",
        json={"number": TO, "audio": "https://a.example.com/a.mp3"},
    ).json()
    audio = body["message"]["audioMessage"]
    assert audio["ptt"] is True and audio["mimetype"] == "audio/ogg; codecs=opus"
    bad = api.post("/message/sendWhatsAppAudio/shop", json={"number": TO, "audio": "nope!"})
    assert message(bad) == ["Owned media must be a url, base64, or valid file with buffer"]


@pytest.mark.parametrize("reaction", ["👍", "", "👍🏽", "👨‍👩‍👧", "🇧🇷", "❤️"])
def test_send_reaction_accepts_one_emoji_or_nothing(api, reaction):
    key = {"remoteJid": f"{TO}@s.whatsapp.net", "fromMe": False, "id": "ABC"}
    answer = api.post("/message/sendReaction/shop", json={"key": key, "reaction": reaction})
    assert answer.status_code == 201
    assert answer.json()["message"]["reactionMessage"]["text"] == reaction


@pytest.mark.parametrize("reaction", ["ok", "👍👍", "a👍"])
def test_send_reaction_refuses_anything_else(api, reaction):
    key = {"remoteJid": f"{TO}@s.whatsapp.net", "fromMe": False, "id": "ABC"}
    answer = api.post("/message/sendReaction/shop", json={"key": key, "reaction": reaction})
    assert message(answer) == ["Reaction must be a single emoji or empty string"]


def test_send_reaction_needs_the_whole_key(api):
    answer = api.post("/message/sendReaction/shop", json={"key": {"id": "A"}, "reaction": "👍"})
    assert message(answer) == [
        ['key requires property "remoteJid"', 'key requires property "fromMe"']
    ]


def test_send_location_needs_all_five_fields(api):
    body = {"number": TO, "latitude": -23.56, "longitude": -46.65, "name": "MASP"}
    missing = api.post("/message/sendLocation/shop", json=body)
    assert message(missing) == [['instance requires property "address"']]
    sent = api.post("/message/sendLocation/shop", json={**body, "address": "Av. Paulista"})
    assert sent.status_code == 201 and sent.json()["messageType"] == "locationMessage"


def test_whatsapp_numbers(api, evolution_simulator):
    evolution_simulator.control.inbound("shop", number=TO, push_name="Maria Souza")
    group = "120363401234567890@g.us"
    answer = api.post("/chat/whatsappNumbers/shop", json={"numbers": [TO, "5531987650000", group]})
    assert answer.status_code == 200
    assert answer.json() == [
        {"jid": group, "exists": True, "number": group},
        {"jid": f"{TO}@s.whatsapp.net", "exists": True, "number": TO, "name": "Maria Souza"},
        {"jid": "553187650000@s.whatsapp.net", "exists": False, "number": "5531987650000"},
    ]


def test_whatsapp_numbers_errors_are_not_wrapped(api, evolution_simulator):
    evolution_simulator.control.disconnect("shop", status_reason=401)
    answer = api.post("/chat/whatsappNumbers/shop", json={"numbers": [TO]})
    assert answer.status_code == 400
    assert answer.json() == {
        "status": 400,
        "error": "Bad Request",
        "message": ["Connection Closed"],
    }


def test_mark_as_read(api, evolution_simulator):
    inbound = evolution_simulator.control.inbound("shop", number=TO)
    answer = api.post("/chat/markMessageAsRead/shop", json={"readMessages": [inbound["key"]]})
    assert answer.status_code == 201
    assert answer.json() == {"message": "Read messages", "read": "success"}
    bad = api.post("/chat/markMessageAsRead/shop", json={"readMessages": [{"id": "x"}]})
    assert message(bad) == [
        [
            'readMessages[0] requires property "remoteJid"',
            'readMessages[0] requires property "fromMe"',
        ]
    ]


def test_send_presence(api, evolution_simulator):
    body = {"number": TO, "presence": "composing", "delay": 100}
    answer = api.post("/chat/sendPresence/shop", json=body)
    assert answer.status_code == 201 and answer.json() == {"presence": "composing"}
    missing = api.post("/chat/sendPresence/shop", json={"number": TO, "presence": "composing"})
    assert message(missing) == [['instance requires property "delay"']]
    unknown = api.post("/chat/sendPresence/shop", json={**body, "number": "5511900000000"})
    assert message(unknown) == ["[object Object]"]


def test_fetch_profile_picture(api):
    answer = api.post("/chat/fetchProfilePictureUrl/shop", json={"number": TO})
    assert answer.status_code == 200
    assert answer.json()["wuid"] == f"{TO}@s.whatsapp.net"
    assert answer.json()["profilePictureUrl"].startswith("https://pps.whatsapp.net/")
    hidden = api.post("/chat/fetchProfilePictureUrl/shop", json={"number": "5511900000000"})
    assert hidden.json()["profilePictureUrl"] is None


@pytest.mark.parametrize(
    ("kind", "mimetype", "magic", "extension"),
    [
        ("image", "image/jpeg", b"\xff\xd8\xff", "jpeg"),
        ("ptt", "audio/ogg; codecs=opus", b"OggS", "oga"),
        ("document", "application/pdf", b"%PDF", None),
        ("sticker", "image/webp", b"RIFF", "webp"),
    ],
)
def test_media_of_inbound_messages_is_a_real_file(
    api, evolution_simulator, kind, mimetype, magic, extension
):
    inbound = evolution_simulator.control.inbound(
        "shop", type=kind, number=TO, file_name="nota.pdf"
    )
    answer = api.post(
        "/chat/getBase64FromMediaMessage/shop",
        json={"message": {"key": {"id": inbound["key"]["id"]}}},
    )
    assert answer.status_code == 201
    body = answer.json()
    assert body["mimetype"] == mimetype
    assert base64.b64decode(body["base64"]).startswith(magic)
    expected_name = "nota.pdf" if extension is None else f"{inbound['key']['id']}.{extension}"
    assert body["fileName"] == expected_name
    assert body["mediaType"] == inbound["messageType"]


def test_media_sent_as_base64_comes_back_unchanged(api):
    payload = base64.b64encode(b"%PDF-1.4 minha nota").decode()
    sent = api.post(
        "/message/sendMedia/shop",
        json={"number": TO, "mediatype": "document", "media": payload, "fileName": "n.pdf"},
    ).json()
    body = api.post(
        "/chat/getBase64FromMediaMessage/shop", json={"message": {"key": {"id": sent["key"]["id"]}}}
    ).json()
    assert body["base64"] == payload


def test_get_base64_errors(api, evolution_simulator):
    unknown = api.post(
        "/chat/getBase64FromMediaMessage/shop", json={"message": {"key": {"id": "X"}}}
    )
    assert unknown.status_code == 400 and message(unknown) == ["Message not found"]
    text = evolution_simulator.control.inbound("shop", number=TO)
    not_media = api.post(
        "/chat/getBase64FromMediaMessage/shop", json={"message": {"key": {"id": text["key"]["id"]}}}
    )
    assert message(not_media) == ["The message is not of the media type"]
