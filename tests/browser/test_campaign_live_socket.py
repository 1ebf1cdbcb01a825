"""The live campaign panel in Chromium, served by daphne (websockets): a change made elsewhere
shows on the open page through the socket, without a poll; with the socket gone the page
polls again."""

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from campaigns import audience, transitions
from campaigns.models import Campaign, CampaignRecipient
from contacts.models import Contact
from tests.browser.chromium import chromium_page, log_in
from tests.conftest import CAST_PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
R = CampaignRecipient.Status
ROOT = Path(__file__).resolve().parents[2]
ASGI = "alrea.asgi:application"


@pytest.fixture
def daphne_url(tmp_path):
    """daphne serving the site on the test database, in a process of its own (a fork of this
    multi-threaded one could inherit locks and executors whose threads are gone)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.campaigns.engine.consumer_settings",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "platform"), str(ROOT)]),
    }
    log = tmp_path / "daphne.log"
    with open(log, "w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), ASGI],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(20)


@pytest.fixture
def campaign(cast):
    campaign = Campaign.objects.create(tenant=cast.acme, name="Black Friday", created_by=cast.ana)
    contacts = [
        Contact.objects.create(tenant=cast.acme, name=f"C{n}", phone=f"+5511987650{n:03d}")
        for n in range(3)
    ]
    audience.add_contacts(campaign, [c.pk for c in contacts], by=cast.ana)
    return campaign


def fail_one(campaign):
    """In another thread: the ORM is off limits in the test's while Playwright runs."""

    def move():
        recipient = CampaignRecipient.objects.filter(campaign=campaign, status=R.PENDING).first()
        transitions.move(recipient, (R.PENDING,), R.FAILED, last_error="boom")

    worker = threading.Thread(target=move)
    worker.start()
    worker.join()


def test_a_change_reaches_the_open_panel_over_the_socket(daphne_url, campaign):
    with chromium_page(daphne_url) as page:
        polls = []
        page.on("request", lambda request: "/live/" in request.url and polls.append(request))
        frames = []
        page.on("websocket", lambda ws: ws.on("framereceived", lambda frame: frames.append(frame)))
        log_in(page, "ana@acme.test", CAST_PASSWORD)
        page.goto(f"/admin/campaigns/campaign/{campaign.pk}/change/")
        for _wait in range(100):  # the snapshot: the socket is open and the page listens
            if frames:
                break
            page.wait_for_timeout(50)
        assert frames
        panel = page.locator("#campaign-live")
        failed = panel.locator('[data-status="failed"] span.font-semibold')
        expect(failed).to_have_text("0")

        fail_one(campaign)
        expect(failed).to_have_text("1", timeout=3000)
        assert polls == []  # the socket brought it


def test_without_a_socket_the_panel_polls(live_server, campaign):
    # pytest-django's live server speaks HTTP only: the socket fails, polling takes over.
    with chromium_page(live_server.url) as page:
        log_in(page, "ana@acme.test", CAST_PASSWORD)
        page.goto(f"/admin/campaigns/campaign/{campaign.pk}/change/")
        failed = page.locator('#campaign-live [data-status="failed"] span.font-semibold')
        expect(failed).to_have_text("0")
        with page.expect_response(lambda response: "/live/" in response.url, timeout=5000):
            fail_one(campaign)
        expect(failed).to_have_text("1", timeout=5000)
