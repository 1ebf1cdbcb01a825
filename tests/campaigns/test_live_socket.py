"""The live campaign socket (``ws/campaigns/<id>/``) through the real ASGI stack and the Redis
channel layer: who may open it, the snapshot it sends, the pushes after changes, and the
throttle that turns a burst of changes into one or two pushes."""

import asyncio
import json
import logging
import time

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.test import Client
from django.utils import translation

from alrea.asgi import application
from campaigns import admin_live, audience, live, transitions
from campaigns.models import Campaign, CampaignRecipient
from campaigns.sockets import FORBIDDEN, NOT_FOUND

R = CampaignRecipient.Status
# ORM calls go through database_sync_to_async, which closes the thread's connection after each
# call (plain sync_to_async leaves it open, and the test database cannot be dropped).
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def session_of():
    @database_sync_to_async
    def cookie(user) -> str:
        client = Client()
        client.force_login(user)
        return client.cookies[settings.SESSION_COOKIE_NAME].value

    return cookie


@pytest.fixture
def with_recipients(cast, make_contact):
    """``with_recipients(campaign, n)``: ``n`` pending recipients added to it."""

    def add(campaign, count):
        contacts = [make_contact(name=f"Cliente {n}") for n in range(count)]
        audience.add_contacts(campaign, [contact.pk for contact in contacts], by=cast.ana)
        campaign.refresh_from_db()
        return campaign

    return add


async def open_socket(campaign, cookie=None) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if cookie:
        # In English, as the page would be for a user who chose it (the default is pt-BR).
        cookies = f"{settings.SESSION_COOKIE_NAME}={cookie}; {settings.LANGUAGE_COOKIE_NAME}=en"
        headers.append((b"cookie", cookies.encode()))
    socket = WebsocketCommunicator(application, f"/ws/campaigns/{campaign.pk}/", headers=headers)
    connected, _subprotocol = await socket.connect()
    assert connected
    return socket


async def close_code(socket) -> int | None:
    output = await socket.receive_output(timeout=3)
    await socket.wait()
    return output.get("code") if output["type"] == "websocket.close" else None


async def received(socket, quiet=2.5) -> list[dict]:
    """Every message until none came for ``quiet`` seconds."""
    messages = []
    # Not a receive timeout: asgiref's would cancel the socket's task.
    while not await socket.receive_nothing(timeout=quiet):
        messages.append(await socket.receive_json_from())
    return messages


@database_sync_to_async
def english_payload(campaign) -> dict:
    """What the live view answers in English (labels resolved, as its JsonResponse does)."""
    with translation.override("en"):
        return json.loads(json.dumps(admin_live.payload(campaign), cls=DjangoJSONEncoder))


@database_sync_to_async
def fail(campaign, count):
    """Move ``count`` pending recipients to failed, one committed transition each."""
    for recipient in CampaignRecipient.objects.filter(campaign=campaign, status=R.PENDING)[:count]:
        transitions.move(recipient, (R.PENDING,), R.FAILED, last_error="boom")


async def test_ana_gets_the_snapshot_then_a_push_after_a_transition(
    cast, campaign, with_recipients, session_of
):
    await database_sync_to_async(with_recipients)(campaign, 3)
    socket = await open_socket(campaign, await session_of(cast.ana))
    snapshot = await socket.receive_json_from(timeout=3)
    expected = await english_payload(campaign)
    assert snapshot["counters"] == expected["counters"]
    assert (snapshot["status"], snapshot["status_label"], snapshot["total"]) == (
        "draft",
        "Draft",
        3,
    )
    assert snapshot["funnel"] == expected["funnel"]
    assert snapshot["funnel"][0]["label"] == "Sent"

    await fail(campaign, 1)
    pushed = await socket.receive_json_from(timeout=3)
    assert pushed["counters"]["failed"] == 1
    assert pushed["counters"]["pending"] == 2
    await socket.disconnect()


async def test_a_socket_idle_longer_than_a_redis_blocking_read_still_gets_pushes(
    cast, campaign, with_recipients, session_of
):
    await database_sync_to_async(with_recipients)(campaign, 1)
    socket = await open_socket(campaign, await session_of(cast.ana))
    await socket.receive_json_from(timeout=3)
    # channels_redis blocks 5 s per read; redis-py's default read timeout was 5 s as well.
    assert await socket.receive_nothing(timeout=11)
    await fail(campaign, 1)
    assert (await socket.receive_json_from(timeout=3))["counters"]["failed"] == 1
    await socket.disconnect()


@pytest.mark.parametrize("who", ["gabriel", "alice", None])
async def test_other_companies_agents_and_strangers_are_refused(cast, campaign, session_of, who):
    cookie = await session_of(getattr(cast, who)) if who else None
    socket = await open_socket(campaign, cookie)
    # Globex's admin may see campaigns, not Acme's: to him this one does not exist.
    assert await close_code(socket) == (NOT_FOUND if who == "gabriel" else FORBIDDEN)


async def test_marcos_follows_his_departments_campaigns_only(cast, make_contact, session_of):
    sales = cast.departments[("acme", "Sales")]
    his = await Campaign.objects.acreate(
        tenant=cast.acme, name="Sales promo", department=sales, created_by=cast.ana
    )
    not_his = await Campaign.objects.acreate(tenant=cast.acme, name="Other", created_by=cast.ana)
    cookie = await session_of(cast.marcos)

    socket = await open_socket(his, cookie)
    assert (await socket.receive_json_from(timeout=3))["status"] == "draft"
    await socket.disconnect()
    assert await close_code(await open_socket(not_his, cookie)) == NOT_FOUND


async def test_a_burst_of_changes_reaches_the_page_once_or_twice(
    cast, campaign, with_recipients, session_of
):
    await database_sync_to_async(with_recipients)(campaign, 10)
    socket = await open_socket(campaign, await session_of(cast.ana))
    await socket.receive_json_from(timeout=3)  # the snapshot
    started = time.monotonic()
    await fail(campaign, 10)
    assert time.monotonic() - started < live.INTERVAL  # else two pushes would be allowed

    pushes = await received(socket)
    assert 1 <= len(pushes) <= 2
    assert pushes[-1]["counters"]["failed"] == 10  # the last one carries the final state
    await socket.disconnect()


def burst(campaign_id, changes):
    for _n in range(changes):
        live.changed(campaign_id)


async def test_the_notifier_sends_at_most_one_push_per_second_and_never_drops_the_last(campaign):
    # Straight on the Redis channel layer, under this run's prefix (tests/settings.py).
    layer = get_channel_layer()
    assert layer.prefix == settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]
    assert layer.prefix.startswith("alrea-test-ws-")
    channel = await layer.new_channel()
    await layer.group_add(live.group_name(campaign.pk), channel)

    await database_sync_to_async(live.changed)(campaign.pk)  # outside a transaction: at once
    first = await asyncio.wait_for(layer.receive(channel), 2)
    first_at = time.monotonic()
    await database_sync_to_async(burst)(campaign.pk, 200)
    assert time.monotonic() - first_at < live.INTERVAL  # else a third push would be right
    second = await asyncio.wait_for(layer.receive(channel), 2)
    assert time.monotonic() - first_at >= live.INTERVAL * 0.9
    assert first == second == {"type": "campaign.changed"}
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(layer.receive(channel), 1.5)
    await layer.group_discard(live.group_name(campaign.pk), channel)


def test_a_dead_channel_layer_never_breaks_a_transition(
    settings, campaign, with_recipients, caplog
):
    with_recipients(campaign, 1)
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},  # nothing listens there
        }
    }
    recipient = CampaignRecipient.objects.get(campaign=campaign)
    with caplog.at_level(logging.WARNING, logger="campaigns.live"):
        assert transitions.move(recipient, (R.PENDING,), R.FAILED, last_error="boom")
        deadline = time.monotonic() + 5
        while "live campaign push failed" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.05)
    assert "live campaign push failed" in caplog.text
    campaign.refresh_from_db()
    assert (campaign.counts()["failed"], campaign.counts()["pending"]) == (1, 0)
