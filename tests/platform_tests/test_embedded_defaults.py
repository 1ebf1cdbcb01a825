"""The embedded defaults end to end, in a fresh process with no service variables: what
`.ci/serve` gives a new user (SQLite, local-memory cache, in-process bus)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICE_VARIABLES = ("DATABASE_URL", "REDIS_URL", "RABBITMQ_URL", "S3_BUCKET", "BUS_PREFIX")

VISIT = """
import json, sys
sys.path[:0] = ["platform", "."]
import django
django.setup()
from django.test import Client
from accounts.models import User
from contacts.models import Contact

client = Client()
health = client.get("/healthz").json()
client.force_login(User.objects.get(email="ana@acme.test"))
dashboard = client.get("/admin/")
contacts = client.get("/admin/contacts/contact/")
print(json.dumps({"health": health, "dashboard": dashboard.status_code,
                  "demo_contacts": Contact.objects.count(),
                  "contacts": contacts.status_code, "acme": "Acme" in dashboard.text}))
"""


def run(args, environ):
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_a_fresh_machine_migrates_seeds_and_serves_on_the_embedded_defaults(tmp_path):
    environ = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    environ.update(DJANGO_SETTINGS_MODULE="alrea.settings", ALREA_VAR_DIR=str(tmp_path))
    for command in (["manage.py", "migrate", "--no-input"], ["manage.py", "seed_demo"]):
        done = run(command, environ)
        assert done.returncode == 0, done.stderr
    assert "ana@acme.test" in done.stdout  # seed_demo printed the logins
    visit = run(["-c", VISIT], environ)
    assert visit.returncode == 0, visit.stderr
    seen = json.loads(visit.stdout.strip().splitlines()[-1])
    assert seen["health"]["status"] == "ok"
    assert seen["health"]["checks"]["database"]["vendor"] == "sqlite"
    assert seen["health"]["checks"]["broker"]["transport"] == "inprocess"
    assert (seen["dashboard"], seen["contacts"], seen["acme"]) == (200, 200, True)
    assert seen["demo_contacts"] >= 3000  # seed_demo's Brazilian contacts
