import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings
from django.utils import translation

from api.models import WebhookSubscription


@pytest.fixture(autouse=True)
def english_pages(client):
    """Pages and the texts code writes (a disabled subscription's reason) in English."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def subscribe(cast, webhook_capture):
    """subscribe(*events, tenant=acme, url=the local receiver) → an active subscription."""

    def make(*events, tenant=None, url=None, **fields):
        return WebhookSubscription.objects.create(
            tenant=tenant or cast.acme,
            url=url or f"{webhook_capture.url}/hooks",
            events=list(events) or ["contact.created"],
            **fields,
        )

    return make


@pytest.fixture
def receiver():
    """receiver(delay=0, body=b"", drip=0) → a local server answering every POST with 200 and
    ``body`` after ``delay`` seconds (a byte every ``drip`` seconds if given): ``.url``."""
    servers = []

    def start(delay: float = 0, body: bytes = b"", drip: float = 0):
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                time.sleep(delay)
                self.send_response(200)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                for start in range(0, len(body), 1 if drip else len(body) or 1):
                    self.wfile.write(body[start : start + 1] if drip else body)
                    self.wfile.flush()
                    time.sleep(drip)

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        server.url = f"http://127.0.0.1:{server.server_port}/hooks"
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
