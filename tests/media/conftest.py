"""Media against real neighbours: the Evolution simulator, and moto's S3-compatible server on a
free port (the same boto3 calls as AWS, signed with s3v4)."""

import uuid
from datetime import UTC, datetime

import boto3
import pytest
from moto.server import ThreadedMotoServer

from bus.handlers import DeliveryContext
from bus.payloads import MediaDownload
from bus.queues import Queue
from chat.models import Attachment, Message
from consumers import media as media_consumer
from tests.whatsapp.webhooks import payloads as p
from tests.whatsapp.webhooks.conftest import Evolution
from whatsapp import services as instance_services
from whatsapp.models import WhatsAppInstance

S3_KEYS = {"access_key": "testing-key", "secret_key": "testing-secret"}


@pytest.fixture(scope="session")
def _s3_server():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_S3 = None
    return settings.MEDIA_ROOT


@pytest.fixture
def s3_later(settings, media_root, _s3_server):
    """Configure S3 as S3_BUCKET would (a fresh bucket), when the test says so; returns a boto3
    client for checking the bucket (``.bucket``)."""

    def configure():
        bucket = f"media-{uuid.uuid4().hex[:12]}"
        client = boto3.client(
            "s3",
            endpoint_url=_s3_server,
            aws_access_key_id=S3_KEYS["access_key"],
            aws_secret_access_key=S3_KEYS["secret_key"],
            region_name="us-east-1",
        )
        client.create_bucket(Bucket=bucket)
        client.bucket = bucket
        settings.MEDIA_S3 = {
            "bucket_name": bucket,
            "endpoint_url": _s3_server,
            **S3_KEYS,
            "region_name": "us-east-1",
            "signature_version": "s3v4",
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 300,
            "file_overwrite": False,
        }
        return client

    return configure


@pytest.fixture
def s3(s3_later):
    return s3_later()


@pytest.fixture
def simulator(settings, evolution_simulator, webhook_capture):
    """Evolution is the simulator; its own webhooks go to a recorder (tests post them here)."""
    settings.EVOLUTION_API_URL = evolution_simulator.url
    settings.EVOLUTION_API_KEY = evolution_simulator.api_key
    settings.PUBLIC_URL = webhook_capture.url.rstrip("/")
    return evolution_simulator


def connected_line(tenant, simulator, name, number) -> WhatsAppInstance:
    instance = instance_services.create_instance(tenant, name)
    simulator.control.scan(instance.evolution_name, number=number)
    WhatsAppInstance.objects.filter(pk=instance.pk).update(state="open")
    instance.refresh_from_db()
    return instance


@pytest.fixture
def line(cast, simulator):
    return connected_line(cast.acme, simulator, "Acme Vendas", "5511900001111")


@pytest.fixture
def receive(simulator):
    """A customer sends media on the simulator; its messages.upsert reaches our webhook."""
    evolution = Evolution()

    def customer_sends(line, kind="image", number="5511987654321", **fields) -> Attachment:
        data = simulator.control.inbound(line.evolution_name, kind, number=number, **fields)
        body = p.envelope("messages.upsert", line.evolution_name, data)
        assert evolution.send(line, body) == "processed"
        return Attachment.objects.get(message__provider_id=data["key"]["id"])

    return customer_sends


def context_for(queue: Queue, attempt: int = 1) -> DeliveryContext:
    return DeliveryContext(str(uuid.uuid4()), queue, attempt, datetime.now(UTC))


def download(attachment: Attachment, attempt: int = 1) -> Attachment:
    """What the media.download consumer does with the message ingest published."""
    payload = MediaDownload(tenant_id=attachment.tenant_id, message_id=attachment.message_id)
    media_consumer.download(payload, context_for(Queue.MEDIA_DOWNLOAD, attempt))
    attachment.refresh_from_db()
    return attachment


def message_of(attachment: Attachment) -> Message:
    return Message.objects.get(pk=attachment.message_id)
