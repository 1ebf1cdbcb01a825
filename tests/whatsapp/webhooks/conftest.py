"""An instance for Acme and one for Globex, and a poster that signs like Evolution does."""

import json

import pytest
from django.test import Client

from whatsapp import inbound
from whatsapp.models import WebhookEvent, WhatsAppInstance
from whatsapp.webhook_config import SECRET_HEADER

WEBHOOK_URL = "/webhooks/evolution/"


@pytest.fixture
def acme_instance(cast):
    return WhatsAppInstance.objects.create(
        tenant=cast.acme, name="Acme main", evolution_name="acme-main", state="open"
    )


@pytest.fixture
def globex_instance(cast):
    return WhatsAppInstance.objects.create(
        tenant=cast.globex, name="Globex main", evolution_name="globex-main", state="open"
    )


class Evolution:
    """Posts webhook bodies the way Evolution does, with the instance's secret header."""

    def __init__(self):
        self.client = Client()

    def post(self, body, *, instance=None, url=WEBHOOK_URL, headers=None, raw=None):
        if headers is None:
            headers = {SECRET_HEADER: instance.webhook_secret} if instance else {}
        data = raw if raw is not None else json.dumps(body)
        return self.client.post(url, data=data, content_type="application/json", headers=headers)

    def send(self, instance, body):
        """Post, let the worker apply what was received, and say what became of the event."""
        response = self.post(body, instance=instance)
        assert response.status_code == 200, response.content
        answer = response.json()
        if answer["status"] != WebhookEvent.Status.RECEIVED:
            return answer["status"]  # "duplicate", or kept without being applied
        inbound.process_pending()
        return WebhookEvent.objects.get(pk=answer["id"]).status


@pytest.fixture
def evolution():
    return Evolution()
