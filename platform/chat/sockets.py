"""The chat page's live events: ``ws/chat/``.

Authenticated by the Django session; refused with close code 4403 when not signed in, without a
company (platform staff) or without the right to see conversations. The socket joins its
tenant's group (``chat.live``) and checks every event against ``Conversation.visible_to`` of its
user at that moment, so an agent never receives a conversation that is not (or no longer) hers,
and another company's events never reach it. It sends the event's payload as JSON:
``{"type": "message", "message": {...}, "conversation": {...}}`` or
``{"type": "conversation", "conversation": {...}}``; ``{"type": "presence", "conversation_id",
"state"}`` (the customer typing, see ``chat.presence``) under the same check;
``{"type": "instance", "instance_id", "connected", ...}`` when a WhatsApp number connects or
disconnects, to the sockets whose user may see a conversation of that number. The page sends
nothing.
"""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from chat import live
from chat.models import Conversation

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

    async def chat_event(self, event):
        user = self.scope["user"]
        if event["tenant_id"] != str(user.tenant_id):
            return
        if await self._sees(user, event["conversation_id"]):
            await self.send_json(event["payload"])

    async def chat_instance(self, event):
        user = self.scope["user"]
        if event["tenant_id"] != str(user.tenant_id):
            return
        if await self._sees_instance(user, event["instance_id"]):
            await self.send_json(event["payload"])

    @database_sync_to_async
    def _may_chat(self, user) -> bool:
        return user.has_perm("chat.view_conversation")

    @database_sync_to_async
    def _sees(self, user, conversation_id) -> bool:
        return Conversation.objects.visible_to(user).filter(pk=conversation_id).exists()

    @database_sync_to_async
    def _sees_instance(self, user, instance_id) -> bool:
        return Conversation.objects.visible_to(user).filter(instance_id=instance_id).exists()
