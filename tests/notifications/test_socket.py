"""The notifications socket (``ws/notifications/``) through the real ASGI stack and the Redis
channel layer: who may open it, and that a socket only ever carries its own user's
notifications."""

import pytest
from channels.db import database_sync_to_async

from notifications import services
from notifications.models import Notification
from notifications.sockets import FORBIDDEN
from tests import sockets

# Session auth needs the rows committed (the socket reads them from another thread).
pytestmark = pytest.mark.django_db(transaction=True)


def open_socket(user=None):
    return sockets.open_socket("/ws/notifications/", user)


async def close_code(socket) -> int | None:
    output = await socket.receive_output(timeout=3)
    await socket.wait()
    return output.get("code") if output["type"] == "websocket.close" else None


notify = database_sync_to_async(services.notify)
mark_read = database_sync_to_async(services.mark_read)
KIND = Notification.Kind.IMPORT_FINISHED


async def test_anonymous_is_refused(cast):
    socket = await open_socket()
    assert await close_code(socket) == FORBIDDEN


async def test_platform_staff_without_a_company_is_refused(cast):
    socket = await open_socket(cast.staff)
    assert await close_code(socket) == FORBIDDEN


async def test_the_socket_opens_with_the_users_unread_count_and_latest(cast):
    await notify(cast.ana, KIND, "first")
    await notify(cast.gabriel, KIND, "Globex's")
    socket = await open_socket(cast.ana)
    summary = await socket.receive_json_from(timeout=3)
    assert summary["type"] == "summary"
    assert summary["unread"] == 1
    assert [n["title"] for n in summary["latest"]] == ["first"]
    await socket.disconnect()


async def test_a_new_notification_arrives_with_the_new_count(cast):
    socket = await open_socket(cast.ana)
    await socket.receive_json_from(timeout=3)  # the summary
    (created,) = await notify(cast.ana, KIND, "Import finished", "12 contacts", "/admin/")
    pushed = await socket.receive_json_from(timeout=3)
    assert pushed["type"] == "created"
    assert pushed["unread"] == 1
    assert pushed["notification"]["id"] == str(created.pk)
    assert pushed["notification"]["title"] == "Import finished"
    assert pushed["notification"]["url"] == f"/notifications/{created.pk}/open/"

    await mark_read(cast.ana)
    assert await socket.receive_json_from(timeout=3) == {"type": "read", "unread": 0}
    await socket.disconnect()


async def test_a_socket_never_gets_another_users_or_tenants_notifications(cast):
    sockets = {name: await open_socket(cast.users[name]) for name in ("ana", "marcos", "gabriel")}
    for socket in sockets.values():
        await socket.receive_json_from(timeout=3)  # the summaries

    await notify(cast.marcos, KIND, "for marcos")
    await notify(cast.gabriel, KIND, "for gabriel")

    assert (await sockets["marcos"].receive_json_from(timeout=3))["notification"]["title"] == (
        "for marcos"
    )
    assert (await sockets["gabriel"].receive_json_from(timeout=3))["notification"]["title"] == (
        "for gabriel"
    )
    # Pushes leave in order from one thread: once both arrived, ana's would have too.
    assert await sockets["ana"].receive_nothing(timeout=1)
    assert await sockets["marcos"].receive_nothing(timeout=0.5)
    for socket in sockets.values():
        await socket.disconnect()
