"""Websocket routes. Each app adds its sockets here."""

from django.urls import path

from campaigns.sockets import CampaignSocket
from chat.sockets import ChatSocket
from notifications.sockets import NotificationSocket

websocket_urlpatterns: list = [
    path("ws/campaigns/<uuid:campaign_id>/", CampaignSocket.as_asgi()),
    path("ws/notifications/", NotificationSocket.as_asgi()),
    path("ws/chat/", ChatSocket.as_asgi()),
]
