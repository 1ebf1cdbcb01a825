"""Two ``manage.py consume campaign.send`` processes, one killed with SIGKILL mid-campaign:
every recipient gets exactly one message, counted on the simulator's side."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bus.transports import reset_transport
from campaigns import dispatch, engine, services
from campaigns.models import Campaign, CampaignRecipient
from tests.bus import broker
from tests.bus.marks import committed_db

ROOT = Path(__file__).resolve().parents[3]
pytestmark = committed_db


@pytest.fixture(autouse=True)
def own_queues():
    yield
    reset_transport()
    broker.delete_all()  # this run's queues (BUS_PREFIX), left empty


def wait_until(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not (result := predicate()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return result


@pytest.fixture
def consumers(tmp_path, simulator, settings):
    started = []

    def start():
        log = tmp_path / f"consumer-{len(started)}.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.campaigns.engine.consumer_settings",
            "EVOLUTION_API_URL": simulator.url,
            "EVOLUTION_API_KEY": simulator.api_key,
            "CAMPAIGN_TYPING_MS": "0",
            "BUS_RETRY_DELAY_MS": "200",
        }
        with open(log, "w") as out:
            process = subprocess.Popen(
                [sys.executable, "manage.py", "consume", "campaign.send"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        started.append((process, log))
        assert wait_until(lambda: "consuming campaign.send" in log.read_text(), 30), log.read_text()
        return process

    yield start
    for process, _log in started:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()


def test_two_consumers_and_a_kill_send_each_recipient_exactly_once(
    number, audience, campaign, simulator, consumers, settings, cast, live_server
):
    # Evolution's webhooks reach our receiver: the reconciler reads their send.message echoes.
    settings.PUBLIC_URL = live_server.url
    numbers = [number(name, f"55119000{n}1111") for n, name in enumerate("ABC", start=1)]
    promo = campaign(numbers, audience(40), start=False)
    first, second = consumers(), consumers()  # they declare the queues before anything is sent
    services.start(promo, by=cast.ana)
    time.sleep(random.uniform(0.2, 0.8))
    first.send_signal(signal.SIGKILL)  # at a random moment, possibly mid-send

    def finished():
        # Completed too: the last handler marks it just after its record commits, which is
        # when the counts above first read zero.
        promo.refresh_from_db()
        return (
            promo.counts()["sending"] == 0
            and promo.counts()["pending"] + promo.counts()["queued"] == 0
            and promo.status == Campaign.Status.COMPLETED
        )

    # What the killed consumer held is redelivered to the other one; a recipient it had
    # claimed stays "sending" until the reconciler settles it (made impatient here).
    settings.CAMPAIGN_RECONCILE_AFTER_SECONDS = 1
    deadline = time.monotonic() + 90
    while not finished() and time.monotonic() < deadline:
        time.sleep(1.5)
        engine.reconcile()
        dispatch.tick()
    assert finished(), (
        promo.counts()["pending"],
        promo.counts()["queued"],
        promo.counts()["sending"],
        promo.status,
    )
    assert second.poll() is None

    sent = simulator.control.sent()
    numbers_sent_to = [m["key"]["remoteJid"] for m in sent]
    assert len(numbers_sent_to) == len(set(numbers_sent_to)) == 40  # none twice, none missed
    statuses = set(promo.recipients.values_list("status", flat=True))
    assert statuses == {CampaignRecipient.Status.SENT}
    promo.refresh_from_db()
    assert promo.counts()["sent"] == 40 and promo.status == Campaign.Status.COMPLETED
