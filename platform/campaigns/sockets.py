"""The live campaign panel over a websocket: ``ws/campaigns/<uuid>/``.

The change page's panel opens it and falls back to polling ``<id>/live/`` when it closes. On
connect and after each "changed" from ``campaigns.live`` the socket sends ``admin_live.payload``
(the JSON the poll returns), at most once per ``live.INTERVAL`` whatever the number of pushes.
Refused with close code 4403 (not signed in, or no right to see campaigns) or 4404 (no such
campaign among those the user may see).
"""

import asyncio
import json
import zoneinfo

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest
from django.utils import timezone, translation

from campaigns import admin_live, live
from campaigns.models import Campaign
from tenancy.access import aget_visible_or_404

FORBIDDEN, NOT_FOUND = 4403, 4404


def _language(scope) -> str:
    """The language LocaleMiddleware would choose for the page: cookie, then Accept-Language."""
    request = HttpRequest()
    request.COOKIES = scope.get("cookies", {})
    headers = dict(scope.get("headers", []))
    request.META["HTTP_ACCEPT_LANGUAGE"] = headers.get(b"accept-language", b"").decode("latin-1")
    return translation.get_language_from_request(request)


class CampaignSocket(AsyncJsonWebsocketConsumer):
    campaign_id = None
    _refresh: asyncio.Task | None = None
    _stale = False
    _sent_at = float("-inf")

    async def connect(self):
        # Accepted before refusing, so the page gets our close code (a refused handshake
        # arrives as a bare failure) and stops retrying.
        await self.accept()
        user = self.scope["user"]
        if not user.is_authenticated or not await database_sync_to_async(user.has_perm)(
            "campaigns.view_campaign"
        ):
            await self.close(code=FORBIDDEN)
            return
        try:
            campaign = await aget_visible_or_404(
                Campaign, user, pk=self.scope["url_route"]["kwargs"]["campaign_id"]
            )
        except Http404:
            await self.close(code=NOT_FOUND)
            return
        self.campaign_id = campaign.pk
        self.language = _language(self.scope)
        tenant = await database_sync_to_async(lambda: user.tenant)()
        self.zone = zoneinfo.ZoneInfo(tenant.timezone if tenant else settings.TIME_ZONE)
        await self.channel_layer.group_add(live.group_name(campaign.pk), self.channel_name)
        await self._send_snapshot()

    async def disconnect(self, code):
        if self._refresh is not None:
            self._refresh.cancel()
        if self.campaign_id is not None:
            await self.channel_layer.group_discard(
                live.group_name(self.campaign_id), self.channel_name
            )

    async def receive_json(self, content, **kwargs):
        """The page sends nothing; whatever it sends is ignored."""

    async def campaign_changed(self, event):
        self._stale = True
        if self._refresh is None or self._refresh.done():
            # A task, not a wait here: the socket keeps reading (a disconnect, more pushes).
            self._refresh = asyncio.create_task(self._refresh_when_allowed())

    async def _refresh_when_allowed(self):
        loop = asyncio.get_running_loop()
        while self._stale:
            await asyncio.sleep(max(0.0, self._sent_at + live.INTERVAL - loop.time()))
            self._stale = False  # a push arriving during the build makes one more round
            await self._send_snapshot()

    async def _send_snapshot(self):
        self._sent_at = asyncio.get_running_loop().time()
        text = await self._payload()
        if text is None:  # deleted meanwhile
            await self.close(code=NOT_FOUND)
        else:
            await self.send(text_data=text)

    @database_sync_to_async
    def _payload(self) -> str | None:
        campaign = Campaign.objects.filter(pk=self.campaign_id).first()
        if campaign is None:
            return None
        with translation.override(self.language), timezone.override(self.zone):
            # Encoded here, as JsonResponse does: lazy labels resolve in the user's language.
            return json.dumps(admin_live.payload(campaign), cls=DjangoJSONEncoder)
