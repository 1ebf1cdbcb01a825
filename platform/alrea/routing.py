"""Websocket routes. Each app adds its sockets here (chat/sockets.py, later)."""

websocket_urlpatterns: list = []
