"""The user's notifications, live: ``ws/notifications/``.

Authenticated by the Django session. The socket joins its own user's group only, so it never
receives anything of another user (or tenant). It sends, as JSON:

* on connect ``{"type": "summary", "unread": n, "latest": [...]}`` (what the summary endpoint
  answers), which is also how a page catches up after a reconnect;
* ``{"type": "created", "notification": {...}, "unread": n}`` for each new notification;
* ``{"type": "read", "unread": n}`` when the user read some (in another tab, say).

Refused with close code 4403 when not signed in, or signed in without a company (platform staff
get no notifications).
"""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from notifications import live, selectors

FORBIDDEN = 4403


class NotificationSocket(AsyncJsonWebsocketConsumer):
    group = None

    async def connect(self):
        # Accepted before refusing, so the page gets our close code and stops retrying.
        await self.accept()
        user = self.scope["user"]
        if not user.is_authenticated or not user.tenant_id:
            await self.close(code=FORBIDDEN)
            return
        self.group = live.group_name(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        summary = await database_sync_to_async(selectors.summary)(user)
        await self.send_json({"type": "summary", **summary})

    async def disconnect(self, code):
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        """The page sends nothing; whatever it sends is ignored."""

    async def notification_created(self, event):
        unread = await self._unread()
        await self.send_json(
            {"type": "created", "notification": event["notification"], "unread": unread}
        )

    async def notifications_read(self, event):
        await self.send_json({"type": "read", "unread": await self._unread()})

    async def _unread(self) -> int:
        return await database_sync_to_async(selectors.unread_count)(self.scope["user"])
