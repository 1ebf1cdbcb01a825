"""The simulator's memory: switches, instances, messages. Everything lives in one event loop."""

import asyncio
import copy
import dataclasses
import logging
import secrets
import string
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

logger = logging.getLogger(__name__)

VERSIONS = ("2.3.7", "legacy")
DEFAULT_REPLIES = ["Ok, obrigado!", "Quanto custa?", "Pode me ligar amanhã?", "SAIR"]


@dataclass
class Switches:
    """Behaviour knobs, changed at run time through the control API."""

    latency_ms: int = 0  # added to every Evolution API answer
    error_rate: float = 0.0  # share of /message/send* calls answered 500 "Timed Out"
    connect_delay_seconds: float | None = 5.0  # auto-"scan" after the QR; None = only by control
    delay_scale: float = 1.0  # multiplies every `delay` a client asks for
    ack_delay_ms: int = 500  # between send.message, SERVER_ACK, DELIVERY_ACK, READ and replies
    webhook_retry_base_ms: int = 5000  # first retry wait; doubles each attempt (±20 %)
    webhook_retry_max_attempts: int = 10
    webhook_timeout_ms: int = 30000
    duplicate_webhooks: bool = False  # 2.3.7 does not dedup: post every event twice
    reply_probability: float = 0.0  # chance the customer answers a message it has read
    reply_texts: list[str] = field(default_factory=lambda: list(DEFAULT_REPLIES))
    expose_token_in_webhooks: bool = False  # AUTHENTICATION_EXPOSE_IN_FETCH_INSTANCES
    # fetchProfilePictureUrl answers URLs on the simulator (/_simulator/pictures/...), which
    # serve a JPEG, instead of WhatsApp's CDN, which tests and offline demos cannot reach.
    serve_profile_pictures: bool = False
    version: str = "2.3.7"

    def update(self, values: dict[str, Any]) -> None:
        """Apply a partial update, refusing unknown names and wrong types (ValueError)."""
        known = {f.name: f for f in dataclasses.fields(self)}
        for name, value in values.items():
            if name not in known:
                raise ValueError(f"unknown switch {name!r}")
            setattr(self, name, _coerce(name, value, getattr(self, name)))
        if self.version not in VERSIONS:
            raise ValueError(f"version must be one of {VERSIONS}")

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _coerce(name: str, value: Any, current: Any) -> Any:
    if name == "connect_delay_seconds":
        return None if value is None else float(value)
    if isinstance(current, bool):
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false")
        return value
    if name == "reply_texts":
        if not (isinstance(value, list) and value and all(isinstance(v, str) for v in value)):
            raise ValueError("reply_texts must be a non-empty list of strings")
        return value
    if isinstance(current, str):
        return str(value)
    number = type(current)(value)
    if number < 0 or (name in ("error_rate", "reply_probability") and number > 1):
        raise ValueError(f"{name} out of range")
    return number


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def cuid() -> str:
    """An id shaped like Prisma's cuid (Evolution's database row ids)."""
    alphabet = string.ascii_lowercase + string.digits
    return "c" + "".join(secrets.choice(alphabet) for _ in range(24))


@dataclass
class Instance:
    name: str
    token: str
    integration: str
    settings: dict[str, Any]
    instance_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    status: str = "close"  # close | connecting | open
    webhook: dict[str, Any] | None = None  # the stored row of /webhook/set
    number: str | None = None  # given on create: asks for a pairing code, used as own number
    owner_jid: str | None = None
    profile_name: str | None = None
    profile_pic_url: str | None = None
    qr: dict[str, Any] | None = None
    qr_count: int = 0
    disconnection: dict[str, Any] = field(default_factory=dict)
    contacts: dict[str, str] = field(default_factory=dict)  # jid -> pushName
    created_at: str = field(default_factory=now_iso)
    updated_at: str = field(default_factory=now_iso)
    connect_task: asyncio.Task | None = None


@dataclass
class StoredMessage:
    instance: str
    data: dict[str, Any]  # the message object as emitted / answered
    media: bytes | None = None
    mimetype: str | None = None


class SimulatorState:
    def __init__(self, api_key: str, server_url: str, switches: Switches | None = None):
        self.api_key = api_key
        self.server_url = server_url
        self._initial = copy.deepcopy(switches or Switches())
        self.switches = copy.deepcopy(self._initial)
        self.instances: dict[str, Instance] = {}
        self.messages: dict[str, StoredMessage] = {}  # by key.id
        self.sent: list[dict[str, Any]] = []  # {"instance", "message"} in send order
        self.not_on_whatsapp: set[str] = set()  # digits
        self.deliveries: list[dict[str, Any]] = []  # webhook attempts, newest last
        self._tasks: set[asyncio.Task] = set()
        self.http: httpx.AsyncClient | None = None  # set by the app's lifespan

    def spawn(self, coro) -> asyncio.Task:
        """Run ``coro`` in the background, keeping a reference so reset can cancel it."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception():
            logger.error("Simulator background task failed", exc_info=task.exception())

    def reset(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        self._tasks.clear()
        self.switches = copy.deepcopy(self._initial)
        self.instances.clear()
        self.messages.clear()
        self.sent.clear()
        self.not_on_whatsapp.clear()
        self.deliveries.clear()

    def instance_by_token(self, token: str) -> list[Instance]:
        return [i for i in self.instances.values() if secrets.compare_digest(i.token, token)]
