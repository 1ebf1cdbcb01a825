import json
import logging
import uuid
from dataclasses import dataclass

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


def test_a_campaign_burst_round_trips_its_recipients_in_order():
    more = [uuid.uuid4() for _ in range(3)]
    payload = CampaignSend(
        **ids("tenant_id", "campaign_id", "recipient_id"), more_recipient_ids=more
    )

    decoded = Envelope.decode(Envelope.wrap(payload).encode()).payload

    assert decoded.more_recipient_ids == tuple(str(pk) for pk in more)
    assert decoded.recipient_ids == (payload.recipient_id, *map(str, more))


def test_a_message_of_an_older_release_is_a_burst_of_one():
    fields = ids("tenant_id", "campaign_id", "recipient_id")
    assert CampaignSend.from_dict(fields).recipient_ids == (fields["recipient_id"],)


@pytest.mark.parametrize("more", ["not-a-list", ["42"], [None]])
def test_a_burst_with_a_bad_recipient_list_is_malformed(more):
    fields = ids("tenant_id", "campaign_id", "recipient_id") | {"more_recipient_ids": more}
    with pytest.raises(MalformedMessage, match="more_recipient_ids"):
        CampaignSend.from_dict(fields)


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
        pytest.param(_body(v=2), id="newer-envelope-version"),
        pytest.param(_body(payload={**EXAMPLES[0].to_dict(), "tenant_id": 7}), id="bad-id"),
    ],
)
def test_a_malformed_body_raises_malformed_message(body):
    with pytest.raises(MalformedMessage):
        Envelope.decode(body)


def test_an_envelope_says_its_version():
    assert json.loads(Envelope.wrap(EXAMPLES[0]).encode())["v"] == 1


def test_an_envelope_without_version_is_version_1():
    data = json.loads(Envelope.wrap(EXAMPLES[0]).encode())
    del data["v"]

    assert Envelope.decode(json.dumps(data).encode()).payload == EXAMPLES[0]


def test_fields_of_a_newer_release_are_ignored_and_logged_at_debug(caplog):
    payload = EXAMPLES[0]
    newer = _body(payload={**payload.to_dict(), "template_id": str(uuid.uuid4())}, trace="x")

    with caplog.at_level(logging.DEBUG, logger="bus.payloads"):
        decoded = Envelope.decode(newer)

    assert decoded.payload == payload
    assert {record.levelno for record in caplog.records} == {logging.DEBUG}
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "template_id" in logged
    assert "trace" in logged


@dataclass(frozen=True, kw_only=True)
class ChatSendOfANewerRelease(ChatSend):
    reply_to_id: str | None = None


def test_a_field_this_release_added_with_a_default_may_be_missing():
    older = ChatSend(**ids("tenant_id", "message_id"))

    decoded = ChatSendOfANewerRelease.from_dict(older.to_dict())

    assert decoded.reply_to_id is None
    assert decoded.message_id == older.message_id


def test_a_required_field_may_not_be_missing():
    with pytest.raises(MalformedMessage, match="missing 1 required keyword-only argument"):
        ChatSendOfANewerRelease.from_dict(ids("tenant_id"))
