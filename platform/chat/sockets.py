"""The chat page's live events: ``ws/chat/``.

Authenticated by the Django session; refused with close code 4403 when not signed in, without a
company (platform staff) or without the right to see conversations. The socket joins its
tenant's group (``chat.live``) and forwards an event (its JSON text, as it is) only when the
event's audience (the users who may see its conversation at the moment it was built,
``selectors.audience``) names its user, so an agent never receives a conversation that is not
(or no longer) hers, and another company's events never reach it. It reads nothing from the
database per event: with one query per socket, 200 agents' sockets at 20 messages a second
queued seconds behind (all of a process's queries share one thread, and daphne opens a new
connection for each). It sends the event's payload as JSON:
``{"type": "message", "message": {...}, "conversation": {...}}`` or
``{"type": "conversation", "conversation": {...}}``; ``{"type": "presence", "conversation_id",
"state"}`` (the customer typing, see ``chat.presence``); ``{"type": "instance", "instance_id",
"connected", ...}`` when a WhatsApp number connects or disconnects, to the users who may see a
conversation of that number. The page sends nothing.
"""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from chat import live

FORBIDDEN = 4403


class ChatSocket(AsyncJsonWebsocketConsumer):
    group = None

    async def connect(self):
        # Accepted before refusing, so the page gets our close code and stops retrying.
        await self.accept()
        user = self.scope["user"]
        if not user.is_authenticated or not user.tenant_id or not await self._may_chat(user):
            await self.close(code=FORBIDDEN)
            return
        self.group = live.group_name(user.tenant_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send_json({"type": "ready"})

    async def disconnect(self, code):
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        """The page sends nothing; whatever it sends is ignored."""

    async def dispatch(self, message):
        # An event reads no database, so it skips channels' close_old_connections, a hop to the
        # one sync thread for every socket and event: 4,000 hops a second for 200 agents at 20
        # messages a second, queued behind the webhooks' requests (benchmark chat_fanout).
        if message["type"] == "chat.event":
            await self.chat_event(message)
        else:
            await super().dispatch(message)

    async def chat_event(self, event):
        user = self.scope["user"]
        if event["tenant_id"] == str(user.tenant_id) and str(user.pk) in event["audience"]:
            await self.send(text_data=event["text"])

    @database_sync_to_async
    def _may_chat(self, user) -> bool:
        return user.has_perm("chat.view_conversation")
