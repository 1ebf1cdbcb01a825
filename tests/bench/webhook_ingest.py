"""Benchmark: the Evolution webhook receiver against a bare INSERT view, on PostgreSQL.

    cd /work/main && .venv/bin/python -m tests.bench.webhook_ingest [--events 2000]

Both run in this process through Django's full request stack (middleware, URL resolver, view)
with ``django.test.Client``, so what differs is only what the view does:

- **ours**: ``POST /webhooks/evolution/`` with ``messages.upsert`` text events, exactly as
  Evolution 2.3.7 sends them (the contract's sample, re-stamped), with the instance's secret
  header: authentication, parsing into typed events, and the raw event log's dedup insert.
- **baseline**: a bare view that reads the body and runs one ``INSERT`` of it into a table.

The two run interleaved ``--repeats`` times over fresh events (a fifth of them from numbers not
seen before, the rest from known customers); the median rate counts. Then:

- **applying**: ``process_pending()`` (the worker's loop) drains what the receiver took:
  contacts, conversations and messages; its rate is reported too.
- **latency at 100 events/s**: ``--paced-seconds`` of events sent on a 10 ms clock while a
  ``process_webhooks`` worker process applies them; receiver p50/p99, and how long after the
  last event the worker had applied everything.
- **twice, out of order**: ``--chaos`` events (texts, and receipts for our own messages) each
  delivered twice, shuffled, with the worker running; every message must be stored once with
  its final status.

Progress goes to stderr; the last line on stdout is one JSON object with the figures.
"""

import argparse
import json
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime

from tests.bench import ROOT
from tests.bench.database import ensure_database

POSTGRES_VERSION = ensure_database()

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.urls import include, path  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402

from chat.models import Message  # noqa: E402
from tenancy.models import Plan, Tenant  # noqa: E402
from tests.bench.database import migrate  # noqa: E402
from tests.whatsapp.webhooks import payloads  # noqa: E402
from whatsapp import inbound  # noqa: E402
from whatsapp.models import WebhookEvent, WhatsAppInstance  # noqa: E402
from whatsapp.webhook_config import SECRET_HEADER  # noqa: E402

RUN = f"bench-{os.getpid()}-{uuid.uuid4().hex[:6]}"
BASELINE_TABLE = "bench_raw_webhook"


def progress(text: str) -> None:
    print(f"[webhook_ingest] {text}", file=sys.stderr, flush=True)


@csrf_exempt
def bare_insert(request):
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {BASELINE_TABLE} (body) VALUES (%s)", [request.body.decode()])
    return HttpResponse(status=200)


urlpatterns = [
    path("bench/raw/", bare_insert),
    path("", include("alrea.urls")),
]


class Feed:
    """Text events for one instance: known customers mostly, some new numbers."""

    def __init__(self, instance_name: str, seed: int):
        self.name = instance_name
        self.random = random.Random(seed)
        self.known: list[str] = []
        self.clock = payloads.BASE_TS

    def _number(self) -> str:
        if self.known and self.random.random() > 0.2:
            return self.random.choice(self.known)
        number = f"55119{self.random.randrange(10**7, 10**8)}"
        self.known.append(number)
        return number

    def text(self, *, from_me: bool = False) -> dict:
        self.clock += 1
        return payloads.text(
            self.name,
            f"Olá, quero saber do pedido {self.random.randrange(10**6)}",
            remote_jid=f"{self._number()}@s.whatsapp.net",
            timestamp=self.clock,
            from_me=from_me,
        )


def post_all(client: Client, url: str, bodies: list[str], headers: dict) -> float:
    started = time.perf_counter()
    for body in bodies:
        response = client.post(url, data=body, content_type="application/json", headers=headers)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}: {response.content[:200]}")
    return len(bodies) / (time.perf_counter() - started)


def paced_latencies(client, feed, headers, seconds: int, rate: int = 100) -> list[float]:
    bodies = [json.dumps(feed.text()) for _ in range(seconds * rate)]
    latencies = []
    start = time.perf_counter()
    for n, body in enumerate(bodies):
        due = start + n / rate
        if (wait := due - time.perf_counter()) > 0:
            time.sleep(wait)
        sent = time.perf_counter()
        response = client.post(
            "/webhooks/evolution/", data=body, content_type="application/json", headers=headers
        )
        assert response.status_code == 200
        latencies.append((time.perf_counter() - sent) * 1000)
    return latencies


def wait_until_applied(instance, timeout: float = 120) -> float:
    """Seconds until the worker has applied every received event of ``instance``."""
    started = time.perf_counter()
    pending = WebhookEvent.objects.filter(instance=instance, status="received")
    while pending.exists():
        if time.perf_counter() - started > timeout:
            raise SystemExit("the worker did not drain the queue")
        time.sleep(0.05)
    return time.perf_counter() - started


def start_worker() -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "process_webhooks", "--idle-seconds", "5"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
        stdout=subprocess.DEVNULL,
    )


def drain() -> float:
    """Events per second applied by the worker's own function, until nothing is left."""
    started, applied = time.perf_counter(), 0
    while taken := inbound.process_pending():
        applied += taken
    return applied / (time.perf_counter() - started)


def chaos(client, feed, instance, headers, count: int) -> dict:
    """Every event twice, shuffled: nothing lost, nothing doubled, statuses final."""
    bodies, ours = [], []
    for n in range(count):
        text = feed.text(from_me=n % 2 == 0)
        bodies.append(text)
        if text["data"]["key"]["fromMe"]:
            key_id = text["data"]["key"]["id"]
            ours.append(key_id)
            bodies += [
                payloads.status(feed.name, key_id, value)
                for value in ("SERVER_ACK", "DELIVERY_ACK", "READ")
            ]
    deliveries = bodies * 2
    random.Random(7).shuffle(deliveries)
    before = Message.objects.filter(conversation__instance=instance).count()
    for body in deliveries:
        response = client.post(
            "/webhooks/evolution/",
            data=json.dumps(body),
            content_type="application/json",
            headers=headers,
        )
        assert response.status_code == 200
    wait_until_applied(instance)
    stored = Message.objects.filter(conversation__instance=instance)
    ids = [b["data"]["key"]["id"] for b in bodies if b["event"] == "messages.upsert"]
    found = stored.filter(provider_id__in=ids)
    final = set(stored.filter(provider_id__in=ours).values_list("status", flat=True))
    return {
        "events": len(bodies),
        "deliveries": len(deliveries),
        "messages_expected": count,
        "messages_stored": stored.count() - before,
        "distinct_stored": found.values("provider_id").distinct().count(),
        "our_final_statuses": sorted(final),
        "still_waiting": WebhookEvent.objects.filter(instance=instance, status="deferred").count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--paced-seconds", type=int, default=10)
    parser.add_argument("--chaos", type=int, default=500)
    args = parser.parse_args()

    migrate()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {BASELINE_TABLE}")
        cursor.execute(f"CREATE TABLE {BASELINE_TABLE} (id bigserial PRIMARY KEY, body jsonb)")
    plan = Plan.objects.create(name=RUN, max_instances=5)
    tenant = Tenant.objects.create(name=RUN, slug=RUN, plan=plan, status="active")
    instance = WhatsAppInstance.objects.create(
        tenant=tenant, name="bench", evolution_name=RUN, state="open"
    )
    headers = {SECRET_HEADER: instance.webhook_secret}
    feed = Feed(RUN, seed=1)
    client = Client()
    try:
        with override_settings(ROOT_URLCONF=__name__, DEBUG=False):
            progress("warming up")
            warm = [json.dumps(feed.text()) for _ in range(200)]
            post_all(client, "/webhooks/evolution/", warm, headers)
            post_all(client, "/bench/raw/", warm, {})
            drain()
            ours, baseline, applying = [], [], []
            for repeat in range(args.repeats):
                bodies = [json.dumps(feed.text()) for _ in range(args.events)]
                baseline.append(post_all(client, "/bench/raw/", bodies, {}))
                ours.append(post_all(client, "/webhooks/evolution/", bodies, headers))
                applying.append(drain())
                progress(
                    f"repeat {repeat + 1}: receiver {ours[-1]:.0f}/s, bare {baseline[-1]:.0f}/s,"
                    f" applied {applying[-1]:.0f}/s"
                )
            worker = start_worker()
            try:
                progress(f"paced: 100 events/s for {args.paced_seconds} s, worker running")
                latencies = paced_latencies(client, feed, headers, args.paced_seconds)
                lag = wait_until_applied(instance)
                progress(f"chaos: {args.chaos} messages, every event twice, shuffled")
                twice = chaos(client, feed, instance, headers, args.chaos)
            finally:
                worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=30)
    finally:
        tenant.delete()
        plan.delete()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {BASELINE_TABLE}")

    ours_rate, baseline_rate = statistics.median(ours), statistics.median(baseline)
    quantiles = statistics.quantiles(latencies, n=100)
    print(
        json.dumps(
            {
                "benchmark": "webhook_ingest",
                "date": datetime.now(UTC).date().isoformat(),
                "events_per_repeat": args.events,
                "repeats": args.repeats,
                "ours_events_per_s": round(ours_rate),
                "baseline_events_per_s": round(baseline_rate),
                "ratio": round(ours_rate / baseline_rate, 3),
                "applied_events_per_s": round(statistics.median(applying)),
                "runs": {
                    "ours": [round(r) for r in ours],
                    "baseline": [round(r) for r in baseline],
                    "applied": [round(r) for r in applying],
                },
                "paced_100_per_s": {
                    "events": len(latencies),
                    "p50_ms": round(quantiles[49], 2),
                    "p99_ms": round(quantiles[98], 2),
                    "max_ms": round(max(latencies), 2),
                    "applied_all_within_s_after_last": round(lag, 2),
                },
                "twice_out_of_order": twice,
                "python": platform.python_version(),
                "postgres": POSTGRES_VERSION,
                "cpus": os.cpu_count(),
            }
        )
    )


if __name__ == "__main__":
    main()
