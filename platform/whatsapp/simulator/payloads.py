"""Message objects as ``prepareMessage`` emits them (§2.8, §3.4-3.5), in either wire encoding."""

import base64
import hashlib
import secrets
import time
from typing import Any

from . import media

MEDIA_TYPES = tuple(media.MIMETYPES)


def send_id() -> str:
    return "3EB0" + secrets.token_hex(9).upper()  # web / Baileys / API


def android_id() -> str:
    return secrets.token_hex(16).upper()


def phone_id() -> str:
    return "3A" + secrets.token_hex(9).upper()  # iOS


def source_of(key_id: str) -> str:
    if key_id.startswith("3EB0"):
        return "web"
    if key_id.startswith("3A"):
        return "ios"
    return "android" if len(key_id) == 32 else "unknown"


class Encoding:
    """Bytes, int64 and enums: index objects / {low,high} / numbers in 2.3.6+, base64 / decimal
    strings / names before (``legacy``)."""

    def __init__(self, version: str):
        self.legacy = version == "legacy"

    def bytes(self, value: bytes) -> Any:
        if self.legacy:
            return base64.b64encode(value).decode()
        return {str(i): b for i, b in enumerate(value)}

    def long(self, value: int, unsigned: bool = True) -> Any:
        if self.legacy:
            return str(value)
        return {"low": value & 0xFFFFFFFF, "high": value >> 32, "unsigned": unsigned}

    def enum(self, number: int, name: str) -> Any:
        return name if self.legacy else number

    def empty(self, *names: str) -> dict:
        """Empty repeated fields: present as [] in 2.3.6+, omitted before."""
        return {} if self.legacy else {name: [] for name in names}


def context_info(enc: Encoding, **fields: Any) -> dict:
    return {**enc.empty("mentionedJid", "groupMentions", "statusAttributions"), **fields}


def send_context(enc: Encoding) -> dict:
    """The contextInfo Evolution injects into 1:1 sends."""
    return {
        **enc.empty("mentionedJid", "groupMentions"),
        "ephemeralSettingTimestamp": enc.long(int(time.time()) - 86400, unsigned=False),
        "disappearingMode": {"initiator": enc.enum(0, "CHANGED_IN_CHAT")},
    }


def message_context(enc: Encoding) -> dict:
    """``messageContextInfo`` of a received message (device list metadata; opaque)."""
    now = int(time.time())
    return {
        **enc.empty("threadId"),
        "deviceListMetadata": {
            **enc.empty("senderKeyIndexes", "recipientKeyIndexes"),
            "senderKeyHash": enc.bytes(secrets.token_bytes(10)),
            "senderTimestamp": enc.long(now - 86400),
            "recipientKeyHash": enc.bytes(secrets.token_bytes(10)),
            "recipientTimestamp": enc.long(now - 3600),
        },
        "deviceListMetadataVersion": 2,
        "messageSecret": enc.bytes(secrets.token_bytes(32)),
    }


def media_content(
    enc: Encoding,
    message_type: str,
    blob: bytes,
    mimetype: str,
    *,
    caption: str | None = None,
    file_name: str | None = None,
    ptt: bool = False,
) -> dict:
    path = f"/v/t62.7118-24/{secrets.randbelow(10**9)}_{secrets.token_hex(8)}_n.enc?ccb=11-4"
    content: dict[str, Any] = {
        "url": f"https://mmg.whatsapp.net{path}&mms3=true",
        "mimetype": mimetype,
        "fileSha256": enc.bytes(hashlib.sha256(blob).digest()),
        "fileLength": enc.long(len(blob)),
        "mediaKey": enc.bytes(secrets.token_bytes(32)),
        "fileEncSha256": enc.bytes(secrets.token_bytes(32)),
        "directPath": path,
        "mediaKeyTimestamp": enc.long(int(time.time()), unsigned=False),
    }
    if message_type == "imageMessage":
        content = {**enc.empty("interactiveAnnotations", "scanLengths", "annotations"), **content}
        content.update(height=16, width=16)
    elif message_type == "videoMessage":
        content.update(seconds=1, height=16, width=16)
    elif message_type == "audioMessage":
        content.update(seconds=1, ptt=ptt)
        if ptt:
            content["waveform"] = enc.bytes(bytes(64))
    elif message_type == "documentMessage":
        name = file_name or "documento.pdf"
        content.update(title=name, fileName=name, pageCount=1)
    elif message_type == "stickerMessage":
        content.update(height=16, width=16, isAnimated=False, isAvatar=False, isAiSticker=False)
    if caption and message_type in ("imageMessage", "videoMessage", "documentMessage"):
        content["caption"] = caption
    return content


def vcard(name: str, number: str) -> str:
    return (
        f"BEGIN:VCARD\nVERSION:3.0\nN:;{name};;;\nFN:{name}\n"
        f"item1.TEL;waid={number}:+{number}\nitem1.X-ABLabel:Celular\nEND:VCARD"
    )


def message_object(
    *,
    key: dict,
    push_name: str,
    status: str,
    message_type: str,
    content: Any,
    instance_id: str,
    context: dict | None = None,
    extra_message: dict | None = None,
) -> dict:
    """The object of messages.upsert / send.message, keys in prepareMessage's order."""
    if isinstance(content, dict) and context is not None and message_type != "reactionMessage":
        content = {**content, "contextInfo": context}
    obj: dict[str, Any] = {
        "key": key,
        "pushName": push_name,
        "status": status,
        "message": {message_type: content, **(extra_message or {})},
    }
    if context is not None:
        obj["contextInfo"] = context
    obj.update(
        messageType=message_type,
        messageTimestamp=int(time.time()),
        instanceId=instance_id,
        source=source_of(key["id"]),
    )
    return obj


def media_type_of(message: dict) -> str | None:
    """The media content key of a ``message`` object, unwrapping the wrappers Evolution does."""
    for wrapper in ("ephemeralMessage", "viewOnceMessage", "viewOnceMessageV2"):
        if wrapper in message:
            message = message[wrapper].get("message", {})
    if "documentWithCaptionMessage" in message:
        message = message["documentWithCaptionMessage"].get("message", {})
    return next((t for t in MEDIA_TYPES if t in message), None)
