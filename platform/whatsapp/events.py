"""Evolution webhooks parsed into typed events at the edge (contract: evolution-api.md §3).

``parse()`` takes the decoded JSON body and returns ``(Envelope, event)``; everything after it
works with these dataclasses and never digs in raw dicts. A body that breaks the contract raises
``MalformedEvent`` with a reason a person can read; an event this platform does not handle
becomes ``Unhandled`` (answered 200 and logged, so Evolution does not retry it).

Both wire forms are read: 2.3.6/2.3.7 (bytes as index objects, longs as ``{low, high}``) and
older ones (base64 strings, decimal strings), and 1:1 chats addressed by ``@lid``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

MAX_TEXT = 65536  # WhatsApp's own limit is 65,536 characters


class MalformedEvent(ValueError):
    """The body does not follow the contract; the message says where."""


# --- Small readers that fail with the path of the bad value ---------------------------------


def _object(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise MalformedEvent(f"{where} must be an object")
    return value


def _string(obj: dict, name: str, where: str, *, required: bool = True) -> str:
    value = obj.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise MalformedEvent(f"{where}.{name} must be a non-empty string")
    return value


def _optional_text(obj: dict, name: str) -> str:
    value = obj.get(name)
    return value[:MAX_TEXT] if isinstance(value, str) else ""


def _bool(obj: dict, name: str, where: str) -> bool:
    value = obj.get(name, False)
    if not isinstance(value, bool):
        raise MalformedEvent(f"{where}.{name} must be a boolean")
    return value


def _long(value: Any) -> int | None:
    """An int64 in any of its wire forms: a number, a decimal string or ``{low, high}``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, dict) and isinstance(value.get("low"), int):
        high = value.get("high") if isinstance(value.get("high"), int) else 0
        return (high << 32) | (value["low"] & 0xFFFFFFFF)
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


# --- The envelope --------------------------------------------------------------------------


@dataclass(frozen=True)
class Envelope:
    event: str  # dotted lower-case, e.g. "messages.upsert"
    instance: str  # the Evolution instance *name*
    data: Any
    date_time: str  # server-local wall time labelled Z (§3.2): informational only
    sender: str


def parse_envelope(body: Any) -> Envelope:
    body = _object(body, "body")
    event = _string(body, "event", "body")
    instance = _string(body, "instance", "body")
    if "data" not in body:
        raise MalformedEvent("body.data is missing")
    date_time = body.get("date_time")
    sender = body.get("sender")
    return Envelope(
        event=event.lower(),
        instance=instance,
        data=body["data"],
        date_time=date_time if isinstance(date_time, str) else "",
        sender=sender if isinstance(sender, str) else "",
    )


# --- JIDs ----------------------------------------------------------------------------------

PHONE_SUFFIX = "@s.whatsapp.net"
GROUP_SUFFIX = "@g.us"
LID_SUFFIX = "@lid"


def jid_phone(jid: str) -> str:
    """The digits of a phone JID ('' for a group, @lid or anything else)."""
    user = jid.split("@", 1)[0].split(":", 1)[0]
    return user if jid.endswith(PHONE_SUFFIX) and user.isdigit() else ""


def _prefer_phone(*jids: str) -> str:
    """The phone JID among the identities given, else the first one present."""
    present = [jid for jid in jids if jid]
    return next(
        (jid for jid in present if jid.endswith(PHONE_SUFFIX)), present[0] if present else ""
    )


# --- Messages ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageKey:
    id: str
    remote_jid: str
    from_me: bool
    remote_jid_alt: str = ""
    participant: str = ""
    participant_alt: str = ""

    @property
    def is_group(self) -> bool:
        return self.remote_jid.endswith(GROUP_SUFFIX)

    @property
    def chat_jid(self) -> str:
        """The conversation's JID: the phone identity of a person whenever WhatsApp gave it."""
        if self.is_group:
            return self.remote_jid
        return _prefer_phone(self.remote_jid, self.remote_jid_alt)

    @property
    def author_jid(self) -> str:
        """Who wrote it in a group (phone JID when known)."""
        return _prefer_phone(self.participant_alt, self.participant)


def parse_key(value: Any, where: str) -> MessageKey:
    key = _object(value, where)
    return MessageKey(
        id=_string(key, "id", where),
        remote_jid=_string(key, "remoteJid", where),
        from_me=_bool(key, "fromMe", where),
        remote_jid_alt=_string(key, "remoteJidAlt", where, required=False),
        participant=_string(key, "participant", where, required=False),
        participant_alt=_string(key, "participantAlt", where, required=False),
    )


@dataclass(frozen=True)
class Media:
    mimetype: str = ""
    file_name: str = ""
    size: int | None = None
    seconds: int | None = None
    width: int | None = None
    height: int | None = None
    is_voice_note: bool = False


@dataclass(frozen=True)
class Content:
    """What a message says, in our own terms (``type`` is a chat.Message.Type value)."""

    type: str
    body: str = ""
    caption: str = ""
    media: Media | None = None
    quoted_id: str = ""
    reaction_target: MessageKey | None = None
    extra: dict = field(default_factory=dict)  # location coordinates, vCards


_MEDIA_TYPES = {
    "imageMessage": "image",
    "videoMessage": "video",
    "ptvMessage": "video",
    "audioMessage": "audio",
    "documentMessage": "document",
    "stickerMessage": "sticker",
}
# Wrappers Evolution may leave around the real content (§2.18).
_WRAPPERS = (
    "ephemeralMessage",
    "viewOnceMessage",
    "viewOnceMessageV2",
    "documentWithCaptionMessage",
)
_IGNORED_KEYS = {"messageContextInfo", "senderKeyDistributionMessage", "base64", "mediaUrl"}


def _unwrap(message: dict) -> dict:
    # A loop, not recursion: a hostile body may nest wrappers thousands deep.
    while True:
        inner = next(
            (
                message[wrapper]["message"]
                for wrapper in _WRAPPERS
                if isinstance(message.get(wrapper), dict)
                and isinstance(message[wrapper].get("message"), dict)
            ),
            None,
        )
        if inner is None:
            return message
        message = inner


def _media(kind: str, content: dict) -> Media:
    def small(name):
        value = _long(content.get(name))
        return value if value is not None and value >= 0 else None

    return Media(
        mimetype=_optional_text(content, "mimetype")[:128],
        file_name=_optional_text(content, "fileName")[:255],
        size=small("fileLength"),
        seconds=small("seconds"),
        width=small("width"),
        height=small("height"),
        is_voice_note=kind == "audio" and content.get("ptt") is True,
    )


def _vcard_summary(display_name: str, vcard: str) -> str:
    phones = [
        line.rsplit(":", 1)[-1].strip() for line in vcard.splitlines() if "TEL" in line.upper()
    ]
    return " ".join([display_name, *phones]).strip()


def parse_content(message: Any, context: Any, where: str) -> Content:
    """Read the one content key of ``message`` (§3.4 and §3.5); quotes come from ``contextInfo``."""
    message = _unwrap(_object(message, where))
    context = context if isinstance(context, dict) else {}
    keys = [key for key in message if key not in _IGNORED_KEYS]
    if not keys:
        raise MalformedEvent(f"{where} has no content")
    name = keys[0]
    content = message[name]
    if name in _MEDIA_TYPES and isinstance(content, dict):
        context = (
            content.get("contextInfo") if isinstance(content.get("contextInfo"), dict) else context
        )
    quoted_id = context.get("stanzaId") if isinstance(context.get("stanzaId"), str) else ""

    if name == "conversation":
        if not isinstance(content, str):
            raise MalformedEvent(f"{where}.conversation must be a string")
        return Content(type="text", body=content[:MAX_TEXT], quoted_id=quoted_id)
    if name == "extendedTextMessage" and isinstance(content, dict):  # only before 2.1
        return Content(type="text", body=_optional_text(content, "text"), quoted_id=quoted_id)
    content = _object(content, f"{where}.{name}")
    if name in _MEDIA_TYPES:
        kind = _MEDIA_TYPES[name]
        return Content(
            type=kind,
            caption=_optional_text(content, "caption"),
            media=_media(kind, content),
            quoted_id=quoted_id,
        )
    if name == "reactionMessage":
        return Content(
            type="reaction",
            body=_optional_text(content, "text"),
            reaction_target=parse_key(content.get("key"), f"{where}.reactionMessage.key"),
        )
    if name in ("locationMessage", "liveLocationMessage"):
        latitude = _number(content.get("degreesLatitude"))
        longitude = _number(content.get("degreesLongitude"))
        if latitude is None or longitude is None:
            raise MalformedEvent(f"{where}.{name} needs numeric degreesLatitude/Longitude")
        label = ", ".join(
            part
            for part in (_optional_text(content, "name"), _optional_text(content, "address"))
            if part
        )
        return Content(
            type="location",
            body=label,
            quoted_id=quoted_id,
            extra={"latitude": latitude, "longitude": longitude},
        )
    if name == "contactMessage":
        display, vcard = _optional_text(content, "displayName"), _optional_text(content, "vcard")
        return Content(
            type="contact",
            body=_vcard_summary(display, vcard),
            quoted_id=quoted_id,
            extra={"vcards": [vcard]},
        )
    if name == "contactsArrayMessage":
        cards = [c for c in content.get("contacts") or [] if isinstance(c, dict)]
        return Content(
            type="contact",
            body="\n".join(
                _vcard_summary(_optional_text(c, "displayName"), _optional_text(c, "vcard"))
                for c in cards
            ),
            quoted_id=quoted_id,
            extra={"vcards": [_optional_text(c, "vcard") for c in cards]},
        )
    # Polls, buttons, lists, events...: kept (raw metadata) and shown as unsupported.
    return Content(type="unsupported", body=name, quoted_id=quoted_id)


@dataclass(frozen=True)
class MessageEvent:
    """``messages.upsert`` (received, or typed on our phone) and ``send.message`` (API sends)."""

    key: MessageKey
    push_name: str
    status: str
    content: Content
    timestamp: datetime
    raw: dict  # the message object, kept as metadata: media is fetched with it
    via_api: bool


def _timestamp(data: dict, where: str) -> datetime:
    seconds = _long(data.get("messageTimestamp"))
    if seconds is None or not 0 < seconds < 2**33:
        raise MalformedEvent(f"{where}.messageTimestamp must be unix seconds")
    return datetime.fromtimestamp(seconds, tz=UTC)


def parse_message(data: Any, *, via_api: bool, where: str = "data") -> MessageEvent:
    data = _object(data, where)
    return MessageEvent(
        key=parse_key(data.get("key"), f"{where}.key"),
        push_name=_optional_text(data, "pushName")[:150],
        status=data.get("status") if isinstance(data.get("status"), str) else "",
        content=parse_content(data.get("message"), data.get("contextInfo"), f"{where}.message"),
        timestamp=_timestamp(data, where),
        raw=data,
        via_api=via_api,
    )


# --- Receipts, deletions -------------------------------------------------------------------

STATUSES = ("ERROR", "PENDING", "SERVER_ACK", "DELIVERY_ACK", "READ", "PLAYED", "DELETED")


@dataclass(frozen=True)
class StatusUpdate:
    """``messages.update``: one receipt for one message (flat, with ``keyId``)."""

    key_id: str
    remote_jid: str
    from_me: bool
    status: str
    edit: Content | None  # 2.3.7 sends edits as SERVER_ACK with the edited content


def parse_status_update(data: Any) -> StatusUpdate:
    data = _object(data, "data")
    status = _string(data, "status", "data")
    if status not in STATUSES:
        raise MalformedEvent(f"data.status {status!r} is not one of {', '.join(STATUSES)}")
    edit = None
    edited = data.get("message")
    if isinstance(edited, dict) and isinstance(edited.get("editedMessage"), dict):
        inner = edited["editedMessage"].get("message", edited["editedMessage"])
        edit = parse_content(inner, None, "data.message.editedMessage")
    return StatusUpdate(
        key_id=_string(data, "keyId", "data"),
        remote_jid=_string(data, "remoteJid", "data", required=False),
        from_me=_bool(data, "fromMe", "data"),
        status=status,
        edit=edit,
    )


@dataclass(frozen=True)
class MessageDeleted:
    key_id: str
    remote_jid: str


def parse_deleted(data: Any) -> MessageDeleted:
    data = _object(data, "data")
    # Two shapes (§3.7): the key itself, or an API deletion with a nested key.
    key = data["key"] if isinstance(data.get("key"), dict) else data
    return MessageDeleted(
        key_id=_string(key, "id", "data.key"),
        remote_jid=_string(key, "remoteJid", "data.key", required=False),
    )


# --- Contacts, chats, presence -------------------------------------------------------------


@dataclass(frozen=True)
class ContactInfo:
    jid: str
    push_name: str
    picture_url: str | None  # None: not said; "": WhatsApp says there is none


@dataclass(frozen=True)
class ContactsChanged:
    contacts: tuple[ContactInfo, ...]


def parse_contacts(data: Any) -> ContactsChanged:
    items = data if isinstance(data, list) else [data]  # an object or an array (§3.9)
    contacts = []
    for index, item in enumerate(items):
        item = _object(item, f"data[{index}]")
        jid = item.get("remoteJid")
        if not isinstance(jid, str):  # e.g. the pushName-changed form keyed by a db id
            continue
        picture = item.get("profilePicUrl", ...)
        contacts.append(
            ContactInfo(
                jid=jid,
                push_name=_optional_text(item, "pushName")[:150],
                picture_url=None if picture is ... else picture if isinstance(picture, str) else "",
            )
        )
    return ContactsChanged(contacts=tuple(contacts))


@dataclass(frozen=True)
class ChatInfo:
    jid: str
    name: str
    unread: int | None  # 0 after the chat was read on the phone


@dataclass(frozen=True)
class ChatsChanged:
    chats: tuple[ChatInfo, ...]


def parse_chats(data: Any) -> ChatsChanged:
    if not isinstance(data, list):
        raise MalformedEvent("data must be an array")
    chats = []
    for index, item in enumerate(data):
        item = _object(item, f"data[{index}]")
        jid = item.get("remoteJid")
        if not isinstance(jid, str):  # the pushName-changed form has only a db id (§3.10)
            continue
        unread = item.get("unreadMessages")
        chats.append(
            ChatInfo(
                jid=jid,
                name=_optional_text(item, "name")[:150],
                unread=unread if isinstance(unread, int) and not isinstance(unread, bool) else None,
            )
        )
    return ChatsChanged(chats=tuple(chats))


@dataclass(frozen=True)
class Presence:
    chat_jid: str
    states: dict  # participant jid -> lastKnownPresence


def parse_presence(data: Any) -> Presence:
    data = _object(data, "data")
    presences = _object(data.get("presences", {}), "data.presences")
    return Presence(
        chat_jid=_string(data, "id", "data"),
        states={
            jid: value.get("lastKnownPresence", "")
            for jid, value in presences.items()
            if isinstance(value, dict)
        },
    )


# --- Connection ----------------------------------------------------------------------------

CONNECTION_STATES = ("open", "connecting", "close", "refused")


@dataclass(frozen=True)
class ConnectionChanged:
    state: str
    reason: int | None
    wuid: str = ""
    profile_name: str = ""
    profile_picture_url: str = ""


def parse_connection(data: Any) -> ConnectionChanged:
    data = _object(data, "data")
    state = _string(data, "state", "data")
    if state not in CONNECTION_STATES:
        raise MalformedEvent(f"data.state {state!r} is not one of {', '.join(CONNECTION_STATES)}")
    reason = data.get("statusReason")
    if reason is not None and (isinstance(reason, bool) or not isinstance(reason, int)):
        raise MalformedEvent("data.statusReason must be an integer")
    return ConnectionChanged(
        state=state,
        reason=reason,
        wuid=_optional_text(data, "wuid"),
        profile_name=_optional_text(data, "profileName")[:150],
        profile_picture_url=_optional_text(data, "profilePictureUrl")[:1000],
    )


@dataclass(frozen=True)
class QrCodeChanged:
    code: str
    image: str  # a data: URI
    pairing_code: str
    limit_reached: bool = False


def parse_qrcode(data: Any) -> QrCodeChanged:
    data = _object(data, "data")
    if "qrcode" not in data:  # the QR limit message (§3.11)
        return QrCodeChanged(code="", image="", pairing_code="", limit_reached=True)
    qr = _object(data["qrcode"], "data.qrcode")
    image = _optional_text(qr, "base64")
    if image and not image.startswith("data:image/"):
        raise MalformedEvent("data.qrcode.base64 must be a data:image URI")
    return QrCodeChanged(
        code=_optional_text(qr, "code"),
        image=image,
        pairing_code=_optional_text(qr, "pairingCode")[:16],
    )


@dataclass(frozen=True)
class LoggedOut:
    pass


@dataclass(frozen=True)
class Unhandled:
    """An event this platform does not act on (kept in the log, answered 200)."""

    event: str


PARSERS = {
    "messages.upsert": lambda data: parse_message(data, via_api=False),
    "send.message": lambda data: parse_message(data, via_api=True),
    "messages.update": parse_status_update,
    "messages.delete": parse_deleted,
    "contacts.upsert": parse_contacts,
    "contacts.update": parse_contacts,
    "chats.upsert": parse_chats,
    "chats.update": parse_chats,
    "presence.update": parse_presence,
    "connection.update": parse_connection,
    "qrcode.updated": parse_qrcode,
    "logout.instance": lambda data: LoggedOut(),
}


def parse(body: Any) -> tuple[Envelope, Any]:
    envelope = parse_envelope(body)
    parser = PARSERS.get(envelope.event)
    if parser is None:
        return envelope, Unhandled(envelope.event)
    return envelope, parser(envelope.data)
