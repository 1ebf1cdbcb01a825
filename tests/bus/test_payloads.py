import json
import uuid

import pytest

from bus.errors import MalformedMessage
from bus.payloads import (
    PAYLOAD_TYPES,
    CampaignSend,
    ChatSend,
    ContactProfilePic,
    Envelope,
    MediaDownload,
    MediaMigrateS3,
    WebhookOutbound,
)
from bus.queues import Queue


def ids(*names):
    return {name: str(uuid.uuid4()) for name in names}


EXAMPLES = [
    CampaignSend(**ids("tenant_id", "campaign_id", "recipient_id")),
    ChatSend(**ids("tenant_id", "message_id")),
    MediaDownload(**ids("tenant_id", "message_id")),
    MediaMigrateS3(**ids("tenant_id", "attachment_id")),
    ContactProfilePic(**ids("tenant_id", "contact_id", "instance_id")),
    WebhookOutbound(**ids("tenant_id", "delivery_id")),
]


def test_every_queue_has_exactly_one_payload_type():
    assert set(PAYLOAD_TYPES) == set(Queue)
    assert {type(payload) for payload in EXAMPLES} == set(PAYLOAD_TYPES.values())


def test_queue_names_are_the_contract():
    assert [str(queue) for queue in Queue] == [
        "campaign.send",
        "chat.send",
        "media.download",
        "media.migrate_s3",
        "contact.profile_pic",
        "webhook.outbound",
    ]


@pytest.mark.parametrize("payload", EXAMPLES, ids=lambda payload: str(payload.queue))
def test_envelope_round_trips_through_json(payload):
    envelope = Envelope.wrap(payload)

    decoded = Envelope.decode(envelope.encode())

    assert decoded == envelope
    assert decoded.queue == payload.queue


def test_uuid_objects_are_stored_as_canonical_strings():
    tenant, message = uuid.uuid4(), uuid.uuid4()

    payload = ChatSend(tenant_id=tenant, message_id=str(message).upper())

    assert payload == ChatSend(tenant_id=str(tenant), message_id=str(message))
    assert json.loads(Envelope.wrap(payload).encode())["payload"] == {
        "tenant_id": str(tenant),
        "message_id": str(message),
    }


def test_a_payload_rejects_an_id_that_is_not_a_uuid():
    with pytest.raises(ValueError, match=r"ChatSend\.message_id must be a UUID"):
        ChatSend(tenant_id=str(uuid.uuid4()), message_id="42")


def test_payload_fields_must_be_named():
    with pytest.raises(TypeError):
        ChatSend(str(uuid.uuid4()), str(uuid.uuid4()))


def _body(**changes):
    data = json.loads(Envelope.wrap(EXAMPLES[0]).encode())
    data.update(changes)
    return json.dumps(data).encode()


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"\xff\xfe", id="not-utf8"),
        pytest.param(b"{not json", id="not-json"),
        pytest.param(b"[]", id="not-an-object"),
        pytest.param(b'{"id": "x"}', id="not-an-envelope"),
        pytest.param(_body(queue="campaign.cancel"), id="unknown-queue"),
        pytest.param(_body(id="42"), id="bad-message-id"),
        pytest.param(_body(published_at="yesterday"), id="bad-date"),
        pytest.param(_body(payload="x"), id="payload-not-an-object"),
        pytest.param(_body(payload={"tenant_id": str(uuid.uuid4())}), id="missing-fields"),
        pytest.param(
            _body(payload={**EXAMPLES[0].to_dict(), "body": "hello"}), id="unexpected-field"
        ),
        pytest.param(_body(payload={**EXAMPLES[0].to_dict(), "tenant_id": 7}), id="bad-id"),
    ],
)
def test_a_malformed_body_raises_malformed_message(body):
    with pytest.raises(MalformedMessage):
        Envelope.decode(body)
