"""Messages from the WhatsApp side, built from a short spec (the control API's ``inbound``)."""

import base64
import binascii
import time
from typing import Any

from . import jids, media, payloads
from .payloads import Encoding
from .state import Instance, SimulatorState, StoredMessage

MEDIA_KINDS = {
    "image": "imageMessage",
    "video": "videoMessage",
    "audio": "audioMessage",
    "ptt": "audioMessage",
    "document": "documentMessage",
    "sticker": "stickerMessage",
}
TYPES = ("text", "location", "contact", "reaction", *MEDIA_KINDS)


def build(state: SimulatorState, instance: Instance, spec: dict[str, Any]) -> StoredMessage:
    """Raises ValueError on a bad spec. Stores the message so replies, reactions and
    getBase64FromMediaMessage can find it."""
    kind = spec.get("type", "text")
    if kind not in TYPES:
        raise ValueError(f"type must be one of {', '.join(TYPES)}")
    if not spec.get("number"):
        raise ValueError("number is required")
    enc = Encoding(state.switches.version)
    from_me = bool(spec.get("from_me"))
    key = _key(state, spec, from_me)
    blob = mimetype = None
    context = None
    if kind == "text":
        message_type, content = "conversation", str(spec.get("text", "Olá"))
    elif kind in MEDIA_KINDS:
        message_type = MEDIA_KINDS[kind]
        blob, mimetype = _media_of(spec, message_type)
        content = payloads.media_content(
            enc,
            message_type,
            blob,
            mimetype,
            caption=spec.get("caption"),
            file_name=spec.get("file_name"),
            ptt=kind == "ptt",
        )
        context = payloads.context_info(enc)
    elif kind == "location":
        message_type = "locationMessage"
        content = {
            "degreesLatitude": float(spec.get("latitude", -23.5614)),
            "degreesLongitude": float(spec.get("longitude", -46.6559)),
            "name": spec.get("name", "MASP"),
            "address": spec.get("address", "Av. Paulista, 1578"),
        }
    elif kind == "contact":
        name = spec.get("contact_name", "Carlos Lima")
        number = spec.get("contact_number", "5511912345678")
        message_type, content = (
            "contactMessage",
            {"displayName": name, "vcard": payloads.vcard(name, number)},
        )
    else:
        message_type, content = "reactionMessage", _reaction(state, enc, key, spec)
    if spec.get("quoted_id") and kind != "reaction":
        context = _quote(state, instance, enc, key, spec)
    data = payloads.message_object(
        key=key,
        push_name=instance.profile_name if from_me else spec.get("push_name", "Cliente Simulado"),
        status="SERVER_ACK" if from_me else "DELIVERY_ACK",
        message_type=message_type,
        content=content,
        instance_id=instance.instance_id,
        context=context,
        extra_message={"messageContextInfo": payloads.message_context(enc)},
    )
    stored = StoredMessage(instance.name, data, blob, mimetype)
    state.messages[key["id"]] = stored
    return stored


def _media_of(spec: dict, message_type: str) -> tuple[bytes, str]:
    """The sample file of the type, or the spec's own bytes (``media_base64``, to hand out a
    broken or odd file) under the spec's ``mimetype``."""
    mimetype = str(spec.get("mimetype") or media.MIMETYPES[message_type])
    if spec.get("media_base64") is None:
        return media.sample(message_type), mimetype
    try:
        return base64.b64decode(str(spec["media_base64"]), validate=True), mimetype
    except binascii.Error:
        raise ValueError("media_base64 is not base64") from None


def _key(state: SimulatorState, spec: dict, from_me: bool) -> dict:
    phone = jids.create_jid(str(spec["number"]))
    lid = f"{spec['lid']}@lid" if spec.get("lid") else jids.lid_for(phone)
    by_lid = spec.get("addressing", "pn") == "lid"
    key_id = spec.get("id") or (payloads.phone_id() if from_me else payloads.android_id())
    if spec.get("group"):
        group = jids.create_jid(str(spec["group"]))
        if not jids.is_group(group):
            group = jids.digits(group) + "@g.us"
        participant, alt = (lid, phone) if by_lid else (phone, lid)
        return {
            "remoteJid": group,
            "fromMe": from_me,
            "id": key_id,
            "participant": participant,
            "participantAlt": alt,
            "addressingMode": "lid" if by_lid else "pn",
        }
    remote, alt = (lid, phone) if by_lid else (phone, lid)
    if by_lid and state.switches.version == "2.3.7":
        remote = alt  # 2.3.7 rewrites a LID chat to the phone JID in messages.upsert
    return {
        "remoteJid": remote,
        "remoteJidAlt": alt,
        "fromMe": from_me,
        "id": key_id,
        "addressingMode": "lid" if by_lid else "pn",
    }


def _reaction(state: SimulatorState, enc: Encoding, key: dict, spec: dict) -> dict:
    if not spec.get("target_id"):
        raise ValueError("a reaction needs target_id")
    target = state.messages.get(spec["target_id"])
    target_key = {
        "remoteJid": key["remoteJid"],
        "fromMe": target.data["key"]["fromMe"] if target else bool(spec.get("target_from_me")),
        "id": spec["target_id"],
    }
    if "participant" in key:
        target_key["participant"] = key["participant"]
    return {
        "key": target_key,
        "text": spec.get("emoji", "👍"),
        "senderTimestampMs": enc.long(int(time.time() * 1000), unsigned=False),
    }


def _quote(state, instance: Instance, enc: Encoding, key: dict, spec: dict) -> dict:
    quoted = state.messages.get(spec["quoted_id"])
    if quoted:
        quoted_key = quoted.data["key"]
        author = (
            instance.owner_jid
            if quoted_key["fromMe"]
            else quoted_key.get("participant", quoted_key["remoteJid"])
        )
        body = {
            k: v
            for k, v in quoted.data["message"].items()
            if k not in ("messageContextInfo", "base64")
        }
    else:
        author, body = key["remoteJid"], {"conversation": spec.get("quoted_text", "")}
    fields = {"stanzaId": spec["quoted_id"], "participant": author, "quotedMessage": body}
    if jids.is_group(key["remoteJid"]):
        fields["remoteJid"] = key["remoteJid"]
    return payloads.context_info(enc, **fields)
