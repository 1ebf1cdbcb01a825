"""Outbound webhooks on the embedded defaults, in a fresh process with no service variables:
SQLite (no JSON containment lookup) and the in-process bus deliver a contact.created."""

import json
import os

from tests.platform_tests.test_embedded_defaults import SERVICE_VARIABLES, run

DELIVER = """
import json, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
sys.path[:0] = ["platform", "."]
import django
django.setup()
from api.models import WebhookDelivery, WebhookSubscription
from contacts import services
from tenancy.models import Plan, Tenant

received = []

class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        received.append(json.loads(self.rfile.read(int(self.headers["content-length"]))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass

server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
threading.Thread(target=server.serve_forever, daemon=True).start()
tenant = Tenant.objects.create(
    name="Acme", slug="acme", plan=Plan.objects.create(name="Free", slug="free")
)
WebhookSubscription.objects.create(
    tenant=tenant, url=f"http://127.0.0.1:{server.server_port}/", events=["contact.created"]
)
services.create_contact(tenant, phone="+5511987654321", name="Maria")
deadline = time.monotonic() + 20
while not received and time.monotonic() < deadline:
    time.sleep(0.05)
time.sleep(0.2)  # the consumer records the outcome after the answer
print(json.dumps({"events": [r["event"] for r in received],
                  "statuses": list(WebhookDelivery.objects.values_list("status", flat=True))}))
"""


def test_a_contact_created_is_delivered_on_sqlite_and_the_in_process_bus(tmp_path):
    environ = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    environ.update(DJANGO_SETTINGS_MODULE="alrea.settings", ALREA_VAR_DIR=str(tmp_path))
    migrated = run(["manage.py", "migrate", "--no-input"], environ)
    assert migrated.returncode == 0, migrated.stderr
    done = run(["-c", DELIVER], environ)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {"events": ["contact.created"], "statuses": ["delivered"]}, done.stderr
