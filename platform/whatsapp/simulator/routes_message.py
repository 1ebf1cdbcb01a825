"""/message/send* (§2.9-2.13). Media is never downloaded: URLs are checked the way
class-validator's isURL does, and base64 payloads are kept for getBase64FromMediaMessage."""

import base64
import ipaddress
import mimetypes
import re
import time
from urllib.parse import urlsplit

from starlette.routing import Route

from . import media, payloads
from .errors import bad_request
from .payloads import Encoding
from .routing import evolution
from .sending import send
from .validation import message_schema, string, validate

TEXT_SCHEMA = message_schema(["number", "text"], text=string())
MEDIA_SCHEMA = message_schema(
    ["number", "mediatype"],
    mediatype={"type": "string", "enum": ["image", "document", "video", "audio"]},
    mimetype=string(),
    media=string(),
    caption=string(),
    fileName=string(),
)
AUDIO_SCHEMA = message_schema(["number"], audio=string(), encoding={"type": "boolean"})
REACTION_SCHEMA = {
    "type": "object",
    "properties": {
        "key": {
            "type": "object",
            "properties": {"id": string(), "remoteJid": string(), "fromMe": {"type": "boolean"}},
            "required": ["id", "remoteJid", "fromMe"],
        },
        "reaction": string(),
    },
    "required": ["key", "reaction"],
}
LOCATION_SCHEMA = message_schema(
    ["number", "latitude", "longitude", "name", "address"],
    latitude={"type": "number"},
    longitude={"type": "number"},
    name=string(),
    address=string(),
)
_BASE64 = re.compile(
    r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$"
)
_TLD = re.compile(r"^([a-z\u00a1-\uffff]{2,}|xn[a-z0-9-]{2,})$", re.IGNORECASE)
MEDIA_TYPES = {
    "image": "imageMessage",
    "video": "videoMessage",
    "audio": "audioMessage",
    "document": "documentMessage",
}


def is_url(value: str) -> bool:
    """validator.isURL with require_tld: a dotted host with a real TLD, or an IP."""
    if "://" not in value:
        value = "http://" + value
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
    except ValueError:
        return False
    if parts.scheme not in ("http", "https", "ftp") or not host or " " in value:
        return False
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        labels = host.split(".")
        return len(labels) >= 2 and all(labels) and bool(_TLD.match(labels[-1]))


def is_base64(value: str) -> bool:
    return bool(_BASE64.match(value))


def _media_bytes(value: str, message_type: str) -> bytes:
    """What the file "contains": the base64 as sent, or our sample for a URL."""
    return base64.b64decode(value) if not is_url(value) else media.sample(message_type)


@evolution(201)
async def send_text(state, request, body, instance):
    validate(body, TEXT_SCHEMA)
    if not body["text"].strip():
        raise bad_request("Text is required")
    return await send(
        state,
        instance,
        body,
        target=body["number"],
        message_type="conversation",
        content=body["text"],
    )


@evolution(201)
async def send_media(state, request, body, instance):
    validate(body, MEDIA_SCHEMA)
    value = body.get("media") or ""
    if not (is_url(value) or is_base64(value)):
        raise bad_request("Owned media must be a url or base64")
    file_name = body.get("fileName")
    if body["mediatype"] == "document" and not is_url(value) and not file_name:
        raise bad_request("For base64 the file name must be informed.")
    message_type = MEDIA_TYPES[body["mediatype"]]
    mimetype = body.get("mimetype") or media.MIMETYPES[message_type]
    if body["mediatype"] == "image":
        mimetype = "image/jpeg"  # images are always re-encoded
    if file_name:
        mimetype = mimetypes.guess_type(file_name)[0] or "false"
    elif body["mediatype"] == "document":
        file_name = urlsplit(value).path.rsplit("/", 1)[-1].rsplit(".", 1)[0] or "document"
    blob = _media_bytes(value, message_type)
    content = payloads.media_content(
        Encoding(state.switches.version),
        message_type,
        blob,
        mimetype,
        caption=body.get("caption"),
        file_name=file_name,
    )
    return await send(
        state,
        instance,
        body,
        target=body["number"],
        message_type=message_type,
        content=content,
        media=blob,
        mimetype=mimetype,
    )


@evolution(201)
async def send_audio(state, request, body, instance):
    validate(body, AUDIO_SCHEMA)
    value = body.get("audio") or ""
    if not (is_url(value) or is_base64(value)):
        raise bad_request("Owned media must be a url, base64, or valid file with buffer")
    mimetype = "audio/ogg; codecs=opus"
    blob = _media_bytes(value, "audioMessage")
    enc = Encoding(state.switches.version)
    content = payloads.media_content(enc, "audioMessage", blob, mimetype, ptt=True)
    return await send(
        state,
        instance,
        body,
        target=body["number"],
        message_type="audioMessage",
        content=content,
        media=blob,
        mimetype=mimetype,
    )


def is_single_emoji(text: str) -> bool:
    """One emoji grapheme: ZWJ sequences, skin tones, flags and selectors count once."""
    units, joined, flags = 0, False, 0
    for char in text:
        code = ord(char)
        if code == 0x200D:
            joined = True
            continue
        if code in (0xFE0F, 0x20E3) or 0x1F3FB <= code <= 0x1F3FF or 0xE0020 <= code <= 0xE007F:
            continue
        if not _is_emoji(code):
            return False
        if 0x1F1E6 <= code <= 0x1F1FF:
            flags += 1
            if flags % 2 == 0:
                continue
        if not joined:
            units += 1
        joined = False
    return units == 1


def _is_emoji(code: int) -> bool:
    return (
        code >= 0x1F000
        or 0x2190 <= code <= 0x21FF
        or 0x2300 <= code <= 0x23FF
        or 0x2600 <= code <= 0x27BF
        or 0x2B00 <= code <= 0x2BFF
        or code in (0xA9, 0xAE, 0x203C, 0x2049, 0x2122, 0x2139, 0x3030, 0x303D, 0x3297, 0x3299)
    )


@evolution(201)
async def send_reaction(state, request, body, instance):
    validate(body, REACTION_SCHEMA)
    reaction = body["reaction"]
    if reaction != "" and not is_single_emoji(reaction):
        raise bad_request("Reaction must be a single emoji or empty string")
    enc = Encoding(state.switches.version)
    content = {
        "key": body["key"],
        "text": reaction,
        "senderTimestampMs": enc.long(int(time.time() * 1000), unsigned=False),
    }
    return await send(
        state,
        instance,
        body,
        target=body["key"]["remoteJid"],
        message_type="reactionMessage",
        content=content,
    )


@evolution(201)
async def send_location(state, request, body, instance):
    validate(body, LOCATION_SCHEMA)
    content = {
        "degreesLatitude": body["latitude"],
        "degreesLongitude": body["longitude"],
        "name": body["name"],
        "address": body["address"],
    }
    return await send(
        state,
        instance,
        body,
        target=body["number"],
        message_type="locationMessage",
        content=content,
    )


routes = [
    Route("/message/sendText/{name}", send_text, methods=["POST"]),
    Route("/message/sendMedia/{name}", send_media, methods=["POST"]),
    Route("/message/sendWhatsAppAudio/{name}", send_audio, methods=["POST"]),
    Route("/message/sendReaction/{name}", send_reaction, methods=["POST"]),
    Route("/message/sendLocation/{name}", send_location, methods=["POST"]),
]
