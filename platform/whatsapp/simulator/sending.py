"""The path every /message/send* call shares: failure switches, the on-WhatsApp check, the
typing delay, the message object, and the receipts that follow (§2.8-2.9)."""

import asyncio
import random
from typing import Any

from . import jids, lifecycle, payloads
from .errors import EvolutionError, server_error
from .payloads import Encoding
from .state import Instance, SimulatorState, StoredMessage


def check_connected(instance: Instance) -> None:
    if instance.status == "open":
        return
    if instance.qr_count == 0 and instance.owner_jid is None:
        raise server_error("Cannot read properties of undefined (reading 'onWhatsApp')")
    raise server_error("Connection Closed")


def verify_number(state: SimulatorState, number: str) -> str:
    """The verified JID, or the 400 Evolution gives for a number not on WhatsApp."""
    jid = jids.create_jid(number)
    if not jids.on_whatsapp(jid, state.not_on_whatsapp, number):
        raise EvolutionError(400, [{"jid": jid, "exists": False, "number": number}])
    return jid


async def typing_delay(state: SimulatorState, body: dict) -> None:
    delay = body.get("delay")
    if isinstance(delay, int) and delay > 0:
        await asyncio.sleep(delay * state.switches.delay_scale / 1000)


async def send(
    state: SimulatorState,
    instance: Instance,
    body: dict,
    *,
    target: str,
    message_type: str,
    content: Any,
    media: bytes | None = None,
    mimetype: str | None = None,
) -> dict:
    if random.random() < state.switches.error_rate:
        raise server_error("Timed Out")
    check_connected(instance)
    jid = verify_number(state, target)
    await typing_delay(state, body)
    enc = Encoding(state.switches.version)
    context = _context(state, instance, enc, jid, body)
    data = payloads.message_object(
        key={"remoteJid": jid, "fromMe": True, "id": payloads.send_id()},
        push_name="Você",
        status="PENDING",
        message_type=message_type,
        content=content,
        instance_id=instance.instance_id,
        context=context,
    )
    stored = StoredMessage(instance.name, data, media, mimetype)
    state.messages[data["key"]["id"]] = stored
    state.sent.append({"instance": instance.name, "message": data})
    state.spawn(lifecycle.after_send(state, instance, stored))
    return lifecycle.with_base64(instance, stored)


def _context(state, instance: Instance, enc: Encoding, jid: str, body: dict) -> dict | None:
    group = jids.is_group(jid)
    context: dict[str, Any] | None = None if group else payloads.send_context(enc)
    quote = _quote(state, instance, body.get("quoted"))
    if quote:
        context = {**(context or payloads.context_info(enc)), **quote}
    if group and body.get("mentioned"):
        mentioned = [jids.create_jid(str(m)) for m in body["mentioned"]]
        context = {**(context or payloads.context_info(enc)), "mentionedJid": mentioned}
    return context


def _quote(state: SimulatorState, instance: Instance, quoted: Any) -> dict | None:
    """Quote as given, else as stored; an unknown id is sent without a quote, silently."""
    if not isinstance(quoted, dict):
        return None
    key = quoted["key"]
    message = quoted.get("message")
    stored = state.messages.get(key["id"])
    if message is None and stored:
        message = {k: v for k, v in stored.data["message"].items() if k != "messageContextInfo"}
        key = {**stored.data["key"], **key}
    if message is None:
        return None
    author = (
        instance.owner_jid if key.get("fromMe") else key.get("participant") or key.get("remoteJid")
    )
    return {"stanzaId": key["id"], "participant": author, "quotedMessage": message}
