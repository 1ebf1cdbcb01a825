"""Webhook bodies shaped exactly as Evolution 2.3.7 sends them (the samples, re-stamped).

The samples in fixtures/evolution/ come from the contract; the builders below follow the
contract's field lists for the shapes that have no sample.
"""

import copy
import json
import secrets
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[3] / "fixtures" / "evolution"
CUSTOMER = "5511987654321@s.whatsapp.net"
CUSTOMER_LID = "187654321098765@lid"
OWN_JID = "5511900001111@s.whatsapp.net"
GROUP = "120363401234567890@g.us"
BASE_TS = 1765380225


def sample(name: str) -> dict:
    return json.loads((SAMPLES / f"{name}.json").read_text())


def new_id() -> str:
    return secrets.token_hex(16).upper()


def envelope(event: str, instance: str, data, *, date_time: str | None = None) -> dict:
    return {
        "event": event,
        "instance": instance,
        "data": data,
        "destination": "http://127.0.0.1:8000/webhooks/evolution/",
        "date_time": date_time
        or f"2025-12-10T12:{secrets.randbelow(60):02d}:00.{secrets.randbelow(999):03d}Z",
        "sender": OWN_JID,
        "server_url": "http://127.0.0.1:8081",
        "apikey": None,
    }


def restamp(body: dict, instance: str) -> dict:
    body = copy.deepcopy(body)
    body["instance"] = instance
    return body


def message(
    instance: str,
    content: dict,
    *,
    message_type: str | None = None,
    remote_jid: str = CUSTOMER,
    from_me: bool = False,
    key_id: str | None = None,
    push_name: str = "Maria Souza",
    timestamp: int = BASE_TS,
    context: dict | None = None,
    key_extra: dict | None = None,
    event: str = "messages.upsert",
) -> dict:
    key = {"remoteJid": remote_jid, "fromMe": from_me, "id": key_id or new_id()}
    if not from_me or event == "messages.upsert":
        key["addressingMode"] = "pn"
    key.update(key_extra or {})
    data = {
        "key": key,
        "pushName": push_name,
        "status": "SERVER_ACK" if from_me else "DELIVERY_ACK",
        "message": content,
    }
    if context is not None:
        data["contextInfo"] = context
    data.update(
        messageType=message_type or next(iter(content)),
        messageTimestamp=timestamp,
        instanceId="b7e4a9c2-3d5f-4e6a-8b1c-9d0e2f3a4b5c",
        source="android",
    )
    if event == "send.message":
        data["status"] = "PENDING"
        data["pushName"] = "Você"
        data["source"] = "web"
    return envelope(event, instance, data)


def text(instance: str, body: str = "Oi, vocês abrem sábado?", **kwargs) -> dict:
    return message(instance, {"conversation": body}, message_type="conversation", **kwargs)


def status(instance: str, key_id: str, value: str, *, from_me: bool = True, **extra) -> dict:
    data = {
        "keyId": key_id,
        "remoteJid": CUSTOMER,
        "fromMe": from_me,
        "status": value,
        "instanceId": "b7e4a9c2-3d5f-4e6a-8b1c-9d0e2f3a4b5c",
        "messageId": "cmj0r7k2x00a1qk01h4z9d2pe",
        **extra,
    }
    return envelope("messages.update", instance, data)


def media(kind: str, **fields) -> dict:
    """A media content key with the 2.3.7 binary encodings (index objects, {low, high})."""
    common = {
        "url": "https://mmg.whatsapp.net/v/t62.7118-24/x.enc",
        "fileSha256": {"0": 98, "1": 93},
        "fileLength": {"low": 71378, "high": 0, "unsigned": True},
        "mediaKey": {"0": 125, "1": 135},
        "directPath": "/v/t62.7118-24/x.enc",
        "mediaKeyTimestamp": {"low": 1765380338, "high": 0, "unsigned": False},
        "contextInfo": {"mentionedJid": [], "groupMentions": [], "statusAttributions": []},
    }
    return {kind: {**common, **fields}}
