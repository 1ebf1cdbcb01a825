"""``manage.py process_webhooks`` as a real process: woken by NOTIFY, stopped by SIGTERM."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.test import Client

from chat.models import Message
from tests.bus.marks import committed_db
from tests.whatsapp.webhooks import payloads
from whatsapp.models import WebhookEvent, WhatsAppInstance
from whatsapp.webhook_config import SECRET_HEADER

ROOT = Path(__file__).resolve().parents[3]
pytestmark = committed_db


def wait_until(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not (result := predicate()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return result


@pytest.fixture
def worker(tmp_path):
    log = tmp_path / "worker.log"
    with open(log, "w") as out:
        # A long idle wait: only the NOTIFY of an insert can wake it quickly.
        process = subprocess.Popen(
            [sys.executable, "manage.py", "process_webhooks", "--idle-seconds", "60"],
            cwd=ROOT,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.whatsapp.worker.process_settings"},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    assert wait_until(lambda: "Processing webhook events" in log.read_text()), log.read_text()
    yield process, log
    if process.poll() is None:
        process.kill()
    process.wait(10)


def test_the_worker_applies_events_as_they_arrive_and_stops_cleanly(worker, cast):
    process, log = worker
    instance = WhatsAppInstance.objects.create(
        tenant=cast.acme, name="Acme", evolution_name="acme-worker", state="open"
    )
    client = Client()
    started = time.monotonic()
    for n in range(3):
        response = client.post(
            "/webhooks/evolution/",
            data=payloads.text("acme-worker", f"oi {n}", timestamp=payloads.BASE_TS + n),
            content_type="application/json",
            headers={SECRET_HEADER: instance.webhook_secret},
        )
        assert response.json()["status"] == "received"
    assert wait_until(lambda: Message.objects.count() == 3), log.read_text()
    assert time.monotonic() - started < 10  # well before the 60 s idle wait ran out
    assert not WebhookEvent.objects.filter(status="received").exists()

    process.send_signal(signal.SIGTERM)
    assert process.wait(20) == 0, log.read_text()
    assert "Stopped." in log.read_text()
