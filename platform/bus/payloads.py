"""What travels on each queue: one frozen dataclass per queue, wrapped in a JSON envelope.

Payloads carry ids only, never model data: the handler loads the current rows, so a message
that waits in a queue never acts on stale values, and no message body holds personal data.
"""

import dataclasses
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Self

from bus.errors import MalformedMessage
from bus.queues import Queue

logger = logging.getLogger(__name__)

# Bumped only for a change that consumers of the previous release cannot read: they dead-letter
# such a message as malformed. Adding a payload field with a default needs no new version.
ENVELOPE_VERSION = 1
REQUIRED_KEYS = {"id", "queue", "payload", "published_at"}


# kw_only: every field is an id string, so positional arguments could be swapped unnoticed.
@dataclass(frozen=True, kw_only=True)
class Payload:
    queue: ClassVar[Queue]

    tenant_id: str

    def __post_init__(self):
        # Accept UUID objects (model primary keys) and store the canonical string, so equal ids
        # always compare and encode equal. An optional id (default None) may stay None.
        # A tuple field holds several ids (JSON brings it as a list).
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value is None and field.default is None:
                continue
            if isinstance(field.default, tuple):
                if not isinstance(value, list | tuple):
                    raise ValueError(f"{type(self).__name__}.{field.name} must be a list of UUIDs")
                canonical = tuple(self._uuid(field.name, item) for item in value)
            else:
                canonical = self._uuid(field.name, value)
            object.__setattr__(self, field.name, canonical)

    def _uuid(self, name: str, value) -> str:
        try:
            return str(value if isinstance(value, uuid.UUID) else uuid.UUID(value))
        except (TypeError, ValueError, AttributeError):
            raise ValueError(
                f"{type(self).__name__}.{name} must be a UUID, got {value!r}"
            ) from None

    def to_dict(self) -> dict[str, str]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Build from a decoded dict (raises MalformedMessage).

        Tolerant, so that producers and consumers of different releases understand each other
        during a rolling deploy: unknown fields (added by a newer release) are ignored, and a
        missing field is fine if it has a default (a field this release added).
        """
        if not isinstance(data, dict):
            raise MalformedMessage(f"{cls.queue} payload must be an object")
        known = {field.name for field in dataclasses.fields(cls)}
        if unknown := sorted(data.keys() - known):
            logger.debug("ignoring unknown %s payload fields %s", cls.queue, unknown)
        try:
            return cls(**{name: value for name, value in data.items() if name in known})
        except (TypeError, ValueError) as exc:  # TypeError: a required field is missing
            raise MalformedMessage(str(exc)) from None


@dataclass(frozen=True, kw_only=True)
class CampaignSend(Payload):
    queue = Queue.CAMPAIGN_SEND

    campaign_id: str
    recipient_id: str
    # More recipients of the same campaign, sent in one burst (campaigns without pacing). A
    # consumer of an older release ignores them; the reconciler queues them again.
    more_recipient_ids: tuple[str, ...] = ()

    @property
    def recipient_ids(self) -> tuple[str, ...]:
        return (self.recipient_id, *self.more_recipient_ids)


@dataclass(frozen=True, kw_only=True)
class ChatSend(Payload):
    queue = Queue.CHAT_SEND

    message_id: str


@dataclass(frozen=True, kw_only=True)
class MediaDownload(Payload):
    queue = Queue.MEDIA_DOWNLOAD

    message_id: str


@dataclass(frozen=True, kw_only=True)
class MediaMigrateS3(Payload):
    queue = Queue.MEDIA_MIGRATE_S3

    attachment_id: str


@dataclass(frozen=True, kw_only=True)
class ContactProfilePic(Payload):
    queue = Queue.CONTACT_PROFILE_PIC

    contact_id: str
    instance_id: str


@dataclass(frozen=True, kw_only=True)
class WebhookOutbound(Payload):
    queue = Queue.WEBHOOK_OUTBOUND

    delivery_id: str


PAYLOAD_TYPES: dict[Queue, type[Payload]] = {
    cls.queue: cls
    for cls in (
        CampaignSend,
        ChatSend,
        MediaDownload,
        MediaMigrateS3,
        ContactProfilePic,
        WebhookOutbound,
    )
}


@dataclass(frozen=True)
class Envelope:
    """One message: a payload plus the id and time that identify it across redeliveries."""

    id: str
    payload: Payload
    published_at: datetime

    @property
    def queue(self) -> Queue:
        return self.payload.queue

    @classmethod
    def wrap(cls, payload: Payload) -> Self:
        if not isinstance(payload, Payload):
            raise TypeError(f"expected a bus payload, got {type(payload).__name__}")
        return cls(id=str(uuid.uuid4()), payload=payload, published_at=datetime.now(UTC))

    def encode(self) -> bytes:
        return json.dumps(
            {
                "v": ENVELOPE_VERSION,
                "id": self.id,
                "queue": str(self.queue),
                "payload": self.payload.to_dict(),
                "published_at": self.published_at.isoformat(),
            },
            separators=(",", ":"),
        ).encode()

    @classmethod
    def decode(cls, body: bytes) -> Self:
        """Parse a message body; anything unexpected raises MalformedMessage.

        Unknown keys are ignored like unknown payload fields, and a body without ``v`` is
        version 1 (what releases before the version field sent).
        """
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise MalformedMessage(f"body is not JSON: {exc}") from None
        if not isinstance(data, dict) or not data.keys() >= REQUIRED_KEYS:
            raise MalformedMessage("body is not an envelope (id, queue, payload, published_at)")
        if data.get("v", 1) != ENVELOPE_VERSION:
            raise MalformedMessage(f"envelope version {data['v']!r} is not {ENVELOPE_VERSION}")
        if unknown := sorted(data.keys() - REQUIRED_KEYS - {"v"}):
            logger.debug("ignoring unknown envelope keys %s", unknown)
        try:
            queue = Queue(data["queue"])
            message_id = str(uuid.UUID(data["id"]))
            published_at = datetime.fromisoformat(data["published_at"])
        except (TypeError, ValueError) as exc:
            raise MalformedMessage(f"bad envelope field: {exc}") from None
        payload = PAYLOAD_TYPES[queue].from_dict(data["payload"])
        return cls(id=message_id, payload=payload, published_at=published_at)
