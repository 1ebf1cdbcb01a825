"""Posting events to the instance webhook the way webhook.controller.ts does (§3.1-3.3)."""

import asyncio
import logging
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt

from .state import Instance, SimulatorState

logger = logging.getLogger(__name__)

# The 31 names /webhook/set accepts (wa.types.ts).
EVENT_NAMES = [
    "APPLICATION_STARTUP", "QRCODE_UPDATED", "MESSAGES_SET", "MESSAGES_UPSERT", "MESSAGES_EDITED",
    "MESSAGES_UPDATE", "MESSAGES_DELETE", "SEND_MESSAGE", "SEND_MESSAGE_UPDATE", "CONTACTS_SET",
    "CONTACTS_UPSERT", "CONTACTS_UPDATE", "PRESENCE_UPDATE", "CHATS_SET", "CHATS_UPSERT",
    "CHATS_UPDATE", "CHATS_DELETE", "GROUPS_UPSERT", "GROUP_UPDATE", "GROUP_PARTICIPANTS_UPDATE",
    "CONNECTION_UPDATE", "LABELS_EDIT", "LABELS_ASSOCIATION", "CALL", "TYPEBOT_START",
    "TYPEBOT_CHANGE_STATUS", "REMOVE_INSTANCE", "LOGOUT_INSTANCE", "INSTANCE_CREATE",
    "INSTANCE_DELETE", "STATUS_INSTANCE",
]  # fmt: skip
NOT_RETRIED = {400, 401, 403, 404, 422}
HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json, text/plain, */*",
    "User-Agent": "axios/1.13.2",
}
MAX_BACKOFF_SECONDS = 300
SERVER_UTC_OFFSET = timedelta(hours=-3)  # the official image runs with TZ=America/Sao_Paulo


def config_name(event: str) -> str:
    """``group-participants.update`` -> ``GROUP_PARTICIPANTS_UPDATE``."""
    return event.upper().replace(".", "_").replace("-", "_")


def date_time() -> str:
    # Server-local wall time with a literal Z, exactly as Evolution mislabels it.
    local = datetime.now(UTC) + SERVER_UTC_OFFSET
    return local.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def envelope(state: SimulatorState, instance: Instance, event: str, data: Any) -> dict:
    body: dict[str, Any] = {
        "event": event,
        "instance": instance.name,
        "data": data,
        "destination": instance.webhook["url"],
        "date_time": date_time(),
    }
    if instance.owner_jid:  # absent until the first "open"
        body["sender"] = instance.owner_jid
    body["server_url"] = state.server_url
    body["apikey"] = instance.token if state.switches.expose_token_in_webhooks else None
    return body


def request_headers(custom: dict[str, Any]) -> dict[str, str]:
    headers = dict(HEADERS)
    for name, value in custom.items():
        if name == "jwt_key":
            continue
        headers[name] = str(value)
    if custom.get("jwt_key"):
        issued = int(time.time())
        token = jwt.encode(
            {"iat": issued, "exp": issued + 600, "app": "evolution", "action": "webhook"},
            str(custom["jwt_key"]),
            algorithm="HS256",
        )
        headers["Authorization"] = f"Bearer {token}"
    return headers


async def emit(state: SimulatorState, instance: Instance, event: str, data: Any) -> None:
    """Post ``event`` if the instance webhook wants it. The first attempt is awaited (so one
    flow's events leave in order); retries and duplicates run in the background."""
    webhook = instance.webhook
    name = config_name(event)
    if not webhook or not webhook["enabled"] or name not in webhook["events"]:
        return
    if not webhook["url"].startswith(("http://", "https://")):
        return  # stored, but nothing is ever posted to it
    url = webhook["url"]  # as Evolution does: a URL ending in "/" gets ".../" + "/suffix"
    if webhook["webhookByEvents"]:
        url += "/" + name.lower().replace("_", "-")
    body = envelope(state, instance, event, data)
    headers = request_headers(webhook.get("headers") or {})
    for _ in range(2 if state.switches.duplicate_webhooks else 1):
        if not await _attempt(state, url, headers, body, 1):
            state.spawn(_retries(state, url, headers, body))


async def _attempt(state: SimulatorState, url: str, headers: dict, body: dict, attempt: int):
    """One POST; True when the delivery is over (2xx, or a status that is not retried)."""
    record = {"event": body["event"], "instance": body["instance"], "url": url, "attempt": attempt}
    try:
        response = await state.http.post(
            url, json=body, headers=headers, timeout=state.switches.webhook_timeout_ms / 1000
        )
        record["status"] = response.status_code
    except httpx.HTTPError as error:
        record["error"] = type(error).__name__
    state.deliveries.append(record)
    status = record.get("status")
    return status is not None and (200 <= status < 300 or status in NOT_RETRIED)


async def _retries(state: SimulatorState, url: str, headers: dict, body: dict) -> None:
    switches = state.switches
    for attempt in range(2, switches.webhook_retry_max_attempts + 1):
        # Exponential from the base, doubling, ±20 % jitter, capped (webhook.controller.ts).
        wait = switches.webhook_retry_base_ms / 1000 * 2 ** (attempt - 2)
        await asyncio.sleep(min(wait * random.uniform(0.8, 1.2), MAX_BACKOFF_SECONDS))
        if await _attempt(state, url, headers, body, attempt):
            return
    logger.warning("Webhook %s to %s abandoned after retries", body["event"], url)
