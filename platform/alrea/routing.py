"""Websocket routes. Each app adds its sockets here."""

from django.urls import path

from campaigns.sockets import CampaignSocket

websocket_urlpatterns: list = [
    path("ws/campaigns/<uuid:campaign_id>/", CampaignSocket.as_asgi()),
]
