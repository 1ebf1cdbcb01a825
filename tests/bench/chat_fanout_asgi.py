"""The ASGI application ``tests.bench.chat_fanout`` serves: Alrea's, plus one bare socket.

``ws/bench/bare/<group>/`` joins the channel-layer group it names and forwards every
``bench.event`` it receives as it is: no session, no permission, no filter. The benchmark's
baseline sends to such groups with a plain ``group_send``.
"""

from alrea.asgi import application as alrea_application  # sets Django up first

# isort: split
from channels.auth import AuthMiddlewareStack
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from alrea.routing import websocket_urlpatterns


class BareSocket(AsyncWebsocketConsumer):
    async def connect(self):
        self.group = self.scope["url_route"]["kwargs"]["group"]
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def bench_event(self, event):
        await self.send(text_data=event["text"])


application = ProtocolTypeRouter(
    {
        "http": alrea_application.application_mapping["http"],
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(
                URLRouter(
                    [
                        path("ws/bench/bare/<str:group>/", BareSocket.as_asgi()),
                        *websocket_urlpatterns,
                    ]
                )
            )
        ),
    }
)
