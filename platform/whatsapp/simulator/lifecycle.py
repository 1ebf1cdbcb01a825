"""What happens over time on the fake WhatsApp side: QR and login, logouts and reconnects,
receipts of sent messages, customer replies, and inbound traffic. Each step emits the webhooks
Evolution would (§3.11, §3.13)."""

import asyncio
import base64
import hashlib
import json
import random
from typing import Any

from . import inbound, jids
from .qr import new_qr
from .state import Instance, SimulatorState, StoredMessage, cuid, now_iso
from .webhooks import emit

CLOSING_REASONS = {401, 402, 403, 406}  # every other code reconnects silently
ACKS = ("SERVER_ACK", "DELIVERY_ACK", "READ")


async def pause(state: SimulatorState, milliseconds: float) -> None:
    if milliseconds > 0:
        await asyncio.sleep(milliseconds / 1000)


def default_number(instance: Instance) -> str:
    """A stable São Paulo mobile number for an instance scanned without one."""
    value = int(hashlib.sha256(instance.name.encode()).hexdigest(), 16)
    return f"55119{value % 10**8:08d}"


def profile_picture(jid: str) -> str:
    seed = hashlib.sha256(jid.encode()).hexdigest()
    path = f"/v/t61.24694-24/{int(seed[:12], 16)}_n.jpg"
    return f"https://pps.whatsapp.net{path}?ccb=11-4&oh={seed[:16]}"


async def show_qr(state: SimulatorState, instance: Instance) -> dict:
    """Open the socket: a QR (or pairing code), qrcode.updated, and the auto-scan timer."""
    instance.status = "connecting"
    instance.qr_count += 1
    instance.qr = new_qr(instance.qr_count, instance.number)
    await emit(state, instance, "qrcode.updated", {"qrcode": _qr_data(instance)})
    delay = state.switches.connect_delay_seconds
    if delay is not None and (instance.connect_task is None or instance.connect_task.done()):
        instance.connect_task = state.spawn(_auto_scan(state, instance, delay))
    return instance.qr


def _qr_data(instance: Instance) -> dict:
    qr = instance.qr
    return {"instance": instance.name, **{k: qr[k] for k in ("pairingCode", "code", "base64")}}


async def _auto_scan(state: SimulatorState, instance: Instance, delay: float) -> None:
    await asyncio.sleep(delay)
    if instance.status == "connecting" and state.instances.get(instance.name) is instance:
        await scan(state, instance)


async def scan(
    state: SimulatorState,
    instance: Instance,
    number: str | None = None,
    profile_name: str | None = None,
) -> None:
    """The phone scanned the QR: connecting, then open with the account's identity."""
    if number or not instance.owner_jid:
        instance.owner_jid = jids.create_jid(number or instance.number or default_number(instance))
    instance.profile_name = profile_name or instance.profile_name or "Loja Simulada"
    instance.profile_pic_url = profile_picture(instance.owner_jid)
    await _connecting(state, instance)
    await _open(state, instance)


async def _connecting(state: SimulatorState, instance: Instance) -> None:
    instance.status = "connecting"
    data = {"instance": instance.name, "state": "connecting", "statusReason": 200}
    await emit(state, instance, "connection.update", data)


async def _open(state: SimulatorState, instance: Instance) -> None:
    instance.status = "open"
    instance.qr = None
    instance.disconnection = {}
    instance.updated_at = now_iso()
    data = {
        "instance": instance.name,
        "wuid": instance.owner_jid,
        "profileName": instance.profile_name,
        "profilePictureUrl": instance.profile_pic_url,
        "state": "open",
        "statusReason": 200,
    }
    await emit(state, instance, "connection.update", data)


async def disconnect(state: SimulatorState, instance: Instance, reason: int) -> None:
    """The socket dropped with ``reason``: a close for logout-like codes, else a reconnect."""
    if reason not in CLOSING_REASONS:
        await _connecting(state, instance)
        await pause(state, state.switches.ack_delay_ms)
        await _open(state, instance)
        return
    at = now_iso()
    instance.status = "close"
    instance.qr = None
    instance.updated_at = at
    error = {"statusCode": reason, "error": "Unauthorized", "message": "Connection Failure"}
    instance.disconnection = {
        "disconnectionReasonCode": reason,
        "disconnectionObject": json.dumps({"error": {"output": error}, "date": at}),
        "disconnectionAt": at,
    }
    await emit(
        state,
        instance,
        "status.instance",
        {"instance": instance.name, "status": "closed", **instance.disconnection},
    )
    await emit(state, instance, "logout.instance", None)
    data = {"instance": instance.name, "state": "close", "statusReason": reason}
    await emit(state, instance, "connection.update", data)


def with_base64(instance: Instance, stored: StoredMessage) -> dict:
    """The object as emitted: ``message.base64`` added when the webhook asks for it."""
    data = stored.data
    if stored.media is not None and instance.webhook and instance.webhook["webhookBase64"]:
        data = {
            **data,
            "message": {**data["message"], "base64": base64.b64encode(stored.media).decode()},
        }
    return data


async def after_send(state: SimulatorState, instance: Instance, stored: StoredMessage) -> None:
    """send.message, then the receipts, then (maybe) the customer's answer."""
    data = stored.data
    await emit(state, instance, "send.message", with_base64(instance, stored))
    key = data["key"]
    for status in ACKS:
        await pause(state, state.switches.ack_delay_ms)
        if state.instances.get(instance.name) is not instance or instance.status != "open":
            return  # receipts stop with the socket
        update = {"keyId": key["id"], "remoteJid": key["remoteJid"], "fromMe": True}
        if "participant" in key:
            update["participant"] = key["participant"]
        update.update(status=status, instanceId=instance.instance_id, messageId=cuid())
        await emit(state, instance, "messages.update", update)
        await emit(
            state,
            instance,
            "chats.upsert",
            [
                {
                    "remoteJid": key["remoteJid"],
                    "instanceId": instance.instance_id,
                    "unreadMessages": 0,
                }
            ],
        )
    switches = state.switches
    if jids.is_group(key["remoteJid"]) or data["messageType"] == "reactionMessage":
        return
    if switches.reply_probability and random.random() < switches.reply_probability:
        await pause(state, switches.ack_delay_ms)
        await receive(
            state,
            instance,
            {
                "type": "text",
                "number": jids.digits(key["remoteJid"]),
                "text": random.choice(switches.reply_texts),
            },
        )


async def receive(state: SimulatorState, instance: Instance, spec: dict[str, Any]) -> dict:
    """A message arrives (see inbound.build): messages.upsert, then contacts.upsert/update."""
    stored = inbound.build(state, instance, spec)
    data = stored.data
    await emit(state, instance, "messages.upsert", with_base64(instance, stored))
    chat = data["key"]["remoteJid"]
    push_name = "" if data["key"]["fromMe"] else data["pushName"]
    known = chat in instance.contacts
    instance.contacts[chat] = push_name or instance.contacts.get(chat, "")
    contact = {
        "remoteJid": chat,
        "pushName": push_name,
        "profilePicUrl": None if jids.is_group(chat) else profile_picture(chat),
        "instanceId": instance.instance_id,
    }
    await emit(state, instance, "contacts.update" if known else "contacts.upsert", contact)
    return data
