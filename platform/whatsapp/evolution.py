"""The Evolution API client (contract: ../shared/evolution-api.md, v2.3.7).

Each endpoint is described once, as a ``Call`` (method, path, body, whether a retry is safe,
how long the server may block, how the answer becomes a typed result). Two thin transports run
the calls: ``EvolutionClient`` (sync) and ``AsyncEvolutionClient`` (its methods return
awaitables). Errors become one hierarchy rooted at ``EvolutionError``.

Retries never risk a second WhatsApp message: reads and idempotent calls are retried on network
errors and 5xx answers; any other call only when the connection was never established.
"""

import asyncio
import base64
import binascii
import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from django.conf import settings

logger = logging.getLogger(__name__)

INTEGRATION = "WHATSAPP-BAILEYS"
JID_SUFFIXES = ("@s.whatsapp.net", "@g.us", "@lid")


# --- errors ---------------------------------------------------------------------------------
class EvolutionError(Exception):
    """Evolution refused or failed a call. ``status`` is the HTTP status (None when no answer
    came), ``message`` the server's own text."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.status = status

    def __str__(self):
        return f"{self.message} (HTTP {self.status})" if self.status else self.message


class InstanceNotFound(EvolutionError):
    pass


class Unauthorized(EvolutionError):
    pass


class InstanceNameInUse(EvolutionError):
    pass


class Disconnected(EvolutionError):
    """The instance's WhatsApp session is not open."""


class NotOnWhatsApp(EvolutionError):
    def __init__(self, message: str, status: int | None, *, jid: str, number: str):
        super().__init__(message, status)
        self.jid = jid
        self.number = number


class ValidationError(EvolutionError):
    def __init__(self, message: str, status: int | None, *, messages: list[str]):
        super().__init__(message, status)
        self.messages = messages


class ServerError(EvolutionError):
    pass


class TransportError(EvolutionError):
    """No answer: the server is unreachable, or the connection broke."""


class Timeout(TransportError):
    """The server did not answer in time. For a send, the message may have gone out."""


# Texts by which Evolution says the WhatsApp socket is closed (§1.3, §2.5, §2.9).
_DISCONNECTED = ("Connection Closed", "reading 'onWhatsApp'", "is not connected")


def _server_message(body: Any) -> Any:
    """``response.message`` of the error envelope; whatsappNumbers puts it at the top level."""
    if not isinstance(body, dict):
        return body
    response = body.get("response")
    if isinstance(response, dict) and "message" in response:
        return response["message"]
    return body.get("message")


def _flatten(message: Any) -> list:
    """Strings and objects of a message that may be nested arrays (validation errors are)."""
    if isinstance(message, list):
        return [item for part in message for item in _flatten(part)]
    return [] if message is None else [message]


def error_for(status: int, body: Any) -> EvolutionError:
    """The typed error for an error answer of Evolution."""
    parts = _flatten(_server_message(body))
    texts = [str(p) for p in parts if not isinstance(p, dict)]
    text = "; ".join(texts) or f"HTTP {status}"
    missing = next((p for p in parts if isinstance(p, dict) and p.get("exists") is False), None)
    if status == 401:
        return Unauthorized(text, status)
    if status == 404:
        return InstanceNotFound(text, status)
    if status == 403 and "already in use" in text:
        return InstanceNameInUse(text, status)
    if missing is not None:
        jid, number = missing.get("jid", ""), missing.get("number", "")
        return NotOnWhatsApp(f"{number or jid} is not on WhatsApp", status, jid=jid, number=number)
    if any(marker in text for marker in _DISCONNECTED):
        return Disconnected(text, status)
    if 400 <= status < 500:
        return ValidationError(text, status, messages=texts)
    return ServerError(text, status)


# --- values going out -----------------------------------------------------------------------
def to_evolution_number(value: str) -> str:
    """E.164 ``+5511987654321`` as Evolution takes it (``5511987654321``); JIDs pass through."""
    if value.endswith(JID_SUFFIXES):
        return value
    digits = value.removeprefix("+")
    if not digits.isdigit():
        raise ValueError(f"expected an E.164 number or a JID, got {value!r}")
    return digits


def jid_to_e164(jid: str) -> str:
    """``5511900001111@s.whatsapp.net`` (or ``…:12@…``) as ``+5511900001111``; '' otherwise."""
    user, _, server = (jid or "").partition("@")
    user = user.split(":")[0]
    return f"+{user}" if server == "s.whatsapp.net" and user.isdigit() else ""


@dataclass(frozen=True)
class MessageKey:
    """Which WhatsApp message: its id, its chat, and whether we wrote it."""

    id: str
    remote_jid: str
    from_me: bool
    participant: str | None = None

    def to_json(self) -> dict:
        key = {"remoteJid": self.remote_jid, "fromMe": self.from_me, "id": self.id}
        if self.participant:
            key["participant"] = self.participant
        return key


@dataclass(frozen=True)
class Quote:
    """The message a send replies to; ``message`` (its content) spares Evolution a lookup that
    silently drops the quote when it finds nothing."""

    key: MessageKey
    message: dict | None = None

    def to_json(self) -> dict:
        quoted = {"key": self.key.to_json()}
        if self.message is not None:
            quoted["message"] = self.message
        return quoted


def _media(value: str | bytes) -> str:
    """Evolution takes a URL or raw base64: bytes are encoded, a data: URI loses its prefix."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if value.startswith("data:"):
        return value.partition(",")[2]
    return value


# --- results --------------------------------------------------------------------------------
@dataclass(frozen=True)
class QRCode:
    code: str
    base64: str  # a data:image/png;base64 URI, ready for <img src>
    pairing_code: str | None
    count: int


@dataclass(frozen=True)
class InstanceState:
    name: str
    state: str | None  # open | close | connecting; None when not loaded on the server


@dataclass(frozen=True)
class CreatedInstance:
    name: str
    id: str
    token: str = field(repr=False)
    status: str
    qr: QRCode | None


@dataclass(frozen=True)
class InstanceInfo:
    name: str
    id: str
    state: str
    owner_jid: str | None
    profile_name: str | None
    profile_picture_url: str | None
    token: str = field(repr=False)


@dataclass(frozen=True)
class WebhookConfig:
    url: str
    enabled: bool
    events: list[str]
    headers: dict = field(repr=False)
    by_events: bool
    base64: bool


@dataclass(frozen=True)
class SentMessage:
    key_id: str
    remote_jid: str
    timestamp: datetime
    message_type: str
    message: dict  # the WhatsApp message object as Evolution returned it


@dataclass(frozen=True)
class NumberCheck:
    number: str
    jid: str
    exists: bool
    name: str | None


@dataclass(frozen=True)
class ProfilePicture:
    jid: str
    url: str | None


@dataclass(frozen=True)
class MediaContent:
    data: bytes = field(repr=False)
    mimetype: str
    file_name: str
    media_type: str  # the message type name: imageMessage, audioMessage, ...
    caption: str | None


def _qr(body: dict) -> QRCode:
    return QRCode(
        code=body.get("code") or "",
        base64=body.get("base64") or "",
        pairing_code=body.get("pairingCode"),
        count=body.get("count") or 0,
    )


def _created(body: dict) -> CreatedInstance:
    instance = body["instance"]
    return CreatedInstance(
        name=instance["instanceName"],
        id=instance["instanceId"],
        token=body["hash"],
        status=instance.get("status", ""),
        qr=_qr(body["qrcode"]) if body.get("qrcode") else None,
    )


def _state(body: dict) -> InstanceState:
    instance = body["instance"]
    return InstanceState(name=instance["instanceName"], state=instance.get("state"))


def _connected_or_qr(body: dict) -> QRCode | InstanceState:
    # connect answers its errors with 200 {"error": true, "message": ...} (§2.2).
    if body.get("error") is True:
        raise error_for(200, {"response": {"message": body.get("message")}})
    return _state(body) if "instance" in body else _qr(body)


def _instances(body: list) -> list[InstanceInfo]:
    return [
        InstanceInfo(
            name=row["name"],
            id=row["id"],
            state=row.get("connectionStatus", ""),
            owner_jid=row.get("ownerJid"),
            profile_name=row.get("profileName"),
            profile_picture_url=row.get("profilePicUrl"),
            token=row.get("token") or "",
        )
        for row in body
    ]


def _webhook(body: dict | None) -> WebhookConfig | None:
    if not body:
        return None
    return WebhookConfig(
        url=body.get("url", ""),
        enabled=bool(body.get("enabled")),
        events=body.get("events") or [],
        headers=body.get("headers") or {},
        by_events=bool(body.get("webhookByEvents")),
        base64=bool(body.get("webhookBase64")),
    )


def _sent(body: dict) -> SentMessage:
    return SentMessage(
        key_id=body["key"]["id"],
        remote_jid=body["key"]["remoteJid"],
        timestamp=datetime.fromtimestamp(int(body["messageTimestamp"]), tz=UTC),
        message_type=body.get("messageType", ""),
        message=body.get("message") or {},
    )


def _numbers(body: list) -> list[NumberCheck]:
    return [
        NumberCheck(
            number=row.get("number", ""),
            jid=row.get("jid", ""),
            exists=bool(row.get("exists")),
            name=row.get("name"),
        )
        for row in body
    ]


def _picture(body: dict) -> ProfilePicture:
    return ProfilePicture(jid=body.get("wuid", ""), url=body.get("profilePictureUrl"))


def _media_content(body: dict | None) -> MediaContent | None:
    if not body:  # a message with nothing but messageContextInfo answers null (§2.18)
        return None
    try:
        data = base64.b64decode(body.get("base64") or "", validate=True)
    except binascii.Error:
        raise EvolutionError("Evolution returned media that is not base64", 201) from None
    return MediaContent(
        data=data,
        mimetype=body.get("mimetype") or "application/octet-stream",
        file_name=body.get("fileName") or "",
        media_type=body.get("mediaType") or "",
        caption=body.get("caption"),
    )


def _nothing(body: Any) -> None:
    return None


# --- calls ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Call:
    """One request, described independently of how it is executed."""

    method: str
    path: str
    parse: Callable[[Any], Any]
    json: dict | None = None
    params: dict | None = None
    # Safe to repeat after the request may have reached the server (reads, idempotent calls).
    idempotent: bool = False
    # How long the server deliberately waits before answering (a send's ``delay``).
    blocks_ms: int = 0


# Failures after which the request certainly never reached the server.
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class _Evolution:
    """The endpoints. Each builds a Call and hands it to ``_execute`` (sync or async)."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float | None = None,
        retries: int = 2,
        backoff: float = 0.25,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.timeout = float(timeout or settings.EVOLUTION_TIMEOUT_SECONDS)
        self.retries = retries
        self.backoff = backoff
        self._http = self._http_class(
            base_url=self.base_url,
            headers={"apikey": api_key, "Accept": "application/json"},
            transport=transport,
        )

    def __repr__(self):
        return f"<{type(self).__name__} {self.base_url}>"  # never the key

    def _call(self, *args, **kwargs):
        return self._execute(Call(*args, **kwargs))

    # instances
    def create_instance(
        self,
        name: str,
        *,
        webhook: dict,
        qrcode: bool = True,
        number: str | None = None,
    ):
        body = {
            "instanceName": name,
            "integration": INTEGRATION,
            "qrcode": qrcode,
            "webhook": webhook,
        }
        if number:
            body["number"] = to_evolution_number(number)
        return self._call("POST", "/instance/create", _created, json=body)

    def connect(self, instance: str, *, number: str | None = None):
        """A QRCode to scan, or the InstanceState when the session is already open."""
        params = {"number": to_evolution_number(number)} if number else None
        return self._call(
            "GET",
            f"/instance/connect/{instance}",
            _connected_or_qr,
            params=params,
            idempotent=True,
        )

    def connection_state(self, instance: str):
        return self._call("GET", f"/instance/connectionState/{instance}", _state, idempotent=True)

    def fetch_instances(self, name: str | None = None):
        params = {"instanceName": name} if name else None
        return self._call(
            "GET", "/instance/fetchInstances", _instances, params=params, idempotent=True
        )

    def logout(self, instance: str):
        return self._call("DELETE", f"/instance/logout/{instance}", _nothing)

    def delete_instance(self, instance: str):
        return self._call("DELETE", f"/instance/delete/{instance}", _nothing)

    # webhook
    def set_webhook(self, instance: str, webhook: dict):
        return self._call(
            "POST",
            f"/webhook/set/{instance}",
            _webhook,
            json={"webhook": webhook},
            idempotent=True,
        )

    def find_webhook(self, instance: str):
        return self._call("GET", f"/webhook/find/{instance}", _webhook, idempotent=True)

    # sends (never retried once the request may have reached the server)
    def _send(self, instance: str, action: str, body: dict, delay: int | None, quoted):
        if delay:
            body["delay"] = delay
        if quoted is not None:
            body["quoted"] = quoted.to_json()
        return self._call(
            "POST", f"/message/{action}/{instance}", _sent, json=body, blocks_ms=delay or 0
        )

    def send_text(
        self,
        instance: str,
        number: str,
        text: str,
        *,
        delay: int | None = None,
        quoted: Quote | None = None,
        link_preview: bool | None = None,
    ):
        body = {"number": to_evolution_number(number), "text": text}
        if link_preview is not None:
            body["linkPreview"] = link_preview
        return self._send(instance, "sendText", body, delay, quoted)

    def send_media(
        self,
        instance: str,
        number: str,
        media: str | bytes,
        *,
        mediatype: str,
        mimetype: str,
        file_name: str,
        caption: str | None = None,
        delay: int | None = None,
        quoted: Quote | None = None,
    ):
        """``media``: a public URL (with a TLD or an IP), raw base64, or bytes. ``file_name``
        is required: without it Evolution derives a broken mimetype (§2.10)."""
        body = {
            "number": to_evolution_number(number),
            "mediatype": mediatype,
            "mimetype": mimetype,
            "media": _media(media),
            "fileName": file_name,
        }
        if caption:
            body["caption"] = caption
        return self._send(instance, "sendMedia", body, delay, quoted)

    def send_audio(
        self,
        instance: str,
        number: str,
        audio: str | bytes,
        *,
        delay: int | None = None,
        quoted: Quote | None = None,
    ):
        """A voice note (PTT), converted to ogg/opus by Evolution."""
        body = {"number": to_evolution_number(number), "audio": _media(audio), "encoding": True}
        return self._send(instance, "sendWhatsAppAudio", body, delay, quoted)

    def send_location(
        self,
        instance: str,
        number: str,
        *,
        latitude: float,
        longitude: float,
        name: str,
        address: str,
        delay: int | None = None,
        quoted: Quote | None = None,
    ):
        body = {
            "number": to_evolution_number(number),
            "latitude": latitude,
            "longitude": longitude,
            "name": name,
            "address": address,
        }
        return self._send(instance, "sendLocation", body, delay, quoted)

    def send_reaction(self, instance: str, key: MessageKey, reaction: str):
        """``reaction``: one emoji, or '' to remove ours."""
        body = {"key": key.to_json(), "reaction": reaction}
        return self._send(instance, "sendReaction", body, None, None)

    # chat
    def check_numbers(self, instance: str, numbers: list[str]):
        body = {"numbers": [to_evolution_number(n) for n in numbers]}
        return self._call(
            "POST", f"/chat/whatsappNumbers/{instance}", _numbers, json=body, idempotent=True
        )

    def mark_as_read(self, instance: str, keys: list[MessageKey]):
        body = {"readMessages": [k.to_json() for k in keys]}
        return self._call(
            "POST",
            f"/chat/markMessageAsRead/{instance}",
            _nothing,
            json=body,
            idempotent=True,
        )

    def send_presence(self, instance: str, number: str, presence: str, delay: int):
        """Shows ``presence`` (composing, recording, paused, ...) for ``delay`` ms; the call
        blocks that long."""
        body = {"number": to_evolution_number(number), "presence": presence, "delay": delay}
        return self._call(
            "POST",
            f"/chat/sendPresence/{instance}",
            _nothing,
            json=body,
            idempotent=True,
            blocks_ms=delay,
        )

    def fetch_profile_picture(self, instance: str, number: str):
        body = {"number": to_evolution_number(number)}
        return self._call(
            "POST",
            f"/chat/fetchProfilePictureUrl/{instance}",
            _picture,
            json=body,
            idempotent=True,
        )

    def get_media(self, instance: str, message: MessageKey | dict, *, convert_to_mp4: bool = False):
        """The decrypted media of a received message: by key (Evolution loads it from its
        store) or the whole webhook message object. None when it carries no media."""
        payload = {"key": message.to_json()} if isinstance(message, MessageKey) else message
        body = {"message": payload, "convertToMp4": convert_to_mp4}
        return self._call(
            "POST",
            f"/chat/getBase64FromMediaMessage/{instance}",
            _media_content,
            json=body,
            idempotent=True,
        )

    # execution helpers shared by both transports
    def _request_args(self, call: Call) -> dict:
        total = self.timeout + call.blocks_ms / 1000
        return {
            "method": call.method,
            "url": call.path,
            "json": call.json,
            "params": call.params,
            "timeout": httpx.Timeout(total, connect=min(total, 5.0)),
        }

    def _retry_after(self, call: Call, attempt: int, failure: Exception) -> float | None:
        """Seconds to wait before trying ``call`` again, or None to give up."""
        if attempt > self.retries:
            return None
        never_sent = isinstance(failure, _NEVER_SENT)
        may_repeat = isinstance(failure, httpx.TransportError | ServerError)
        if never_sent or (call.idempotent and may_repeat):
            return self.backoff * 2 ** (attempt - 1)
        return None

    def _outcome(self, call: Call, response: httpx.Response, started: float):
        logger.debug(
            "%s %s -> %s in %.0f ms",
            call.method,
            call.path,
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        try:
            body = response.json() if response.content else None
        except ValueError:  # a proxy's HTML error page, say
            if response.is_success:
                raise ServerError(
                    "Evolution answered with something that is not JSON", response.status_code
                ) from None
            body = response.text[:200]
        if not response.is_success:
            raise error_for(response.status_code, body)
        return call.parse(body)

    def _wait_or_raise(self, call: Call, attempt: int, failure: Exception) -> float:
        """The pause before the next attempt, or the typed error when there is none."""
        wait = self._retry_after(call, attempt, failure)
        if wait is None:
            if isinstance(failure, httpx.TransportError):
                timed_out = isinstance(failure, httpx.TimeoutException) and not isinstance(
                    failure, _NEVER_SENT
                )
                kind = Timeout if timed_out else TransportError
                raise kind(f"{call.method} {call.path}: {type(failure).__name__}") from failure
            raise failure
        logger.debug(
            "%s %s: attempt %s failed, retry in %.2f s", call.method, call.path, attempt, wait
        )
        return wait


class EvolutionClient(_Evolution):
    _http_class = httpx.Client

    def _execute(self, call: Call):
        for attempt in itertools.count(1):
            started = time.monotonic()
            try:
                return self._outcome(call, self._http.request(**self._request_args(call)), started)
            except (httpx.TransportError, ServerError) as exc:
                wait = self._wait_or_raise(call, attempt, exc)
            time.sleep(wait)

    def close(self):
        self._http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


class AsyncEvolutionClient(_Evolution):
    """The same endpoints; each returns an awaitable."""

    _http_class = httpx.AsyncClient

    async def _execute(self, call: Call):
        for attempt in itertools.count(1):
            started = time.monotonic()
            try:
                response = await self._http.request(**self._request_args(call))
                return self._outcome(call, response, started)
            except (httpx.TransportError, ServerError) as exc:
                wait = self._wait_or_raise(call, attempt, exc)
            await asyncio.sleep(wait)

    async def aclose(self):
        await self._http.aclose()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc_info):
        await self.aclose()
