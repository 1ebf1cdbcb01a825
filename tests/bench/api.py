"""Benchmark: the token API against bare DRF views, served by a real daphne process.

    cd /work/main && .venv/bin/python -m tests.bench.api [--seconds 15] [--keep]

A daphne process (as deployed) serves ``tests.bench.api_settings``: the test suite's settings,
``DEBUG`` off, and ``tests.bench.api_urls``, which adds the bare views to Alrea's URLs. This
process drives it over HTTP with ``--connections`` concurrent keep-alive connections (httpx,
asyncio). Each part works in a tenant of its own (plan with the ``api`` product, rate limits
raised to a billion a minute so the counters still run but never answer 429), deleted at the end
(``--keep`` keeps the 1M-contact one).

1. **contact list**: ``GET /api/v1/contacts/?limit=100`` with a key, on a tenant of 1,000,000
   contacts (``contacts_import.fill``), against ``GET /bench/contacts/?tenant=<id>``: no
   authentication, no throttle, the same 100 rows from one query through a ModelSerializer of
   the same columns. Sustained requests/s of both, alternated ``--repeats`` times (median), for
   ``--seconds`` each; then ours paced at half its sustained rate (open loop: latency counts from
   the moment each request was due), p50/p99.
2. **send message**: ``POST /api/v1/messages/`` (a text to one of 500 customers, whose
   conversations the warm-up opened) queued on the RabbitMQ bus as tests.settings configures it
   (queues under a prefix of this run, deleted at the end; no consumer), against
   ``POST /bench/messages/``: one INSERT of the body. Same method.
3. **bulk upsert**: ``--bulk-requests`` sequential ``POST /api/v1/contacts/bulk/`` of 1,000 new
   contacts each into an empty tenant: contacts/s.

Responses other than the expected status are counted and reported, never timed as successes.
Progress goes to stderr; the last line on stdout is one JSON object with the figures.
"""

import os
import uuid

# Our own bus queues, never those of a test run; the server inherits the prefix.
os.environ["BUS_PREFIX"] = f"bench-{os.getpid()}-{uuid.uuid4().hex[:8]}."

import argparse
import asyncio
import json
import logging
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from importlib import metadata

from tests.bench import ROOT

# Importing it sets Django up (ensure_database, django.setup) before any model is imported.
from tests.bench.contacts_import import POSTGRES_VERSION, Tenants, fill

# isort: split
import aio_pika
import httpx
from django.conf import settings
from django.db import connection, transaction

from api import scopes, services
from bus.queues import Queue
from bus.transports.rabbitmq import QueueNames
from contacts.models import Contact
from tenancy.models import Product
from tests.bench.api_urls import BARE_MESSAGE_TABLE
from tests.bench.database import migrate
from whatsapp.models import WhatsAppInstance

LIST_RATIO_TARGET = 0.60
P99_TARGET_MS = 50
BULK_TARGET = 5000
BULK_SIZE = 1000
CUSTOMERS = 500
UNLIMITED = 10**9
DAPHNE_APP = ["alrea.asgi:application"]


# One INFO line per request would drown the progress lines.
logging.getLogger("httpx").setLevel(logging.WARNING)


def progress(text: str) -> None:
    print(f"[api] {text}", file=sys.stderr, flush=True)


# --- the server ---------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int, log) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.bench.api_settings",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "platform")]),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), *DAPHNE_APP],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"daphne exited with {server.returncode}; see {log.name}")
        try:
            probe = httpx.get(f"http://127.0.0.1:{port}/bench/contacts/?tenant={uuid.uuid4()}")
        except httpx.TransportError:
            time.sleep(0.3)
            continue
        if probe.status_code != 200:
            server.terminate()
            raise SystemExit(f"daphne answered {probe.status_code}; see {log.name}")
        return server
    server.terminate()
    raise SystemExit("daphne did not answer within 60 s")


# --- load ---------------------------------------------------------------------------------------
class Endpoint:
    """One request shape: ``body(n)`` gives the n-th request's JSON (None for a GET)."""

    def __init__(self, method, url, expected, headers=None, body=None):
        self.method, self.url, self.expected = method, url, expected
        self.headers, self.body = headers or {}, body

    async def call(self, client: httpx.AsyncClient, n: int) -> int:
        payload = self.body(n) if self.body else None
        response = await client.request(self.method, self.url, headers=self.headers, json=payload)
        await response.aread()
        return response.status_code


def client_for(base: str, connections: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(base_url=base, limits=limits, timeout=60)


async def closed_loop(base, endpoint: Endpoint, seconds: float, connections: int) -> dict:
    """``connections`` callers, each sending its next request when the last one is answered."""
    statuses, counter = Counter(), iter(range(10**12))
    async with client_for(base, connections) as client:
        started = time.perf_counter()
        deadline = started + seconds

        async def caller():
            while time.perf_counter() < deadline:
                statuses[await endpoint.call(client, next(counter))] += 1

        await asyncio.gather(*(caller() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    good = statuses.pop(endpoint.expected, 0)
    return {"per_s": good / elapsed, "ok": good, "other": dict(statuses)}


async def open_loop(base, endpoint: Endpoint, rate: float, seconds: float, connections: int):
    """Requests due every ``1/rate`` s whatever the answers; latency from when each was due."""
    latencies, statuses = [], Counter()
    async with client_for(base, connections) as client:

        async def one(n, due):
            status_code = await endpoint.call(client, n)
            statuses[status_code] += 1
            if status_code == endpoint.expected:
                latencies.append((time.perf_counter() - due) * 1000)

        start, tasks = time.perf_counter(), []
        for n in range(int(rate * seconds)):
            due = start + n / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            tasks.append(asyncio.create_task(one(n, due)))
        await asyncio.gather(*tasks)
    statuses.pop(endpoint.expected, None)
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        "rate_per_s": round(rate, 1),
        "requests": len(latencies),
        "p50_ms": round(quantiles[49], 1),
        "p99_ms": round(quantiles[98], 1),
        "max_ms": round(max(latencies), 1),
        "other": dict(statuses),
    }


def compare(args, base, label, ours: Endpoint, bare: Endpoint) -> dict:
    """Warm both, alternate closed-loop runs, then pace ours at half its sustained rate."""
    run = asyncio.run
    for endpoint in (ours, bare):
        run(closed_loop(base, endpoint, args.warmup, args.connections))
    runs = {"ours": [], "bare": []}
    for repeat in range(args.repeats):
        for name, endpoint in (("bare", bare), ("ours", ours)):
            result = run(closed_loop(base, endpoint, args.seconds, args.connections))
            runs[name].append(result)
            progress(
                f"{label} {name} run {repeat + 1}: {result['per_s']:.0f}/s"
                + (f", other statuses {result['other']}" if result["other"] else "")
            )
    ours_rate = statistics.median(r["per_s"] for r in runs["ours"])
    bare_rate = statistics.median(r["per_s"] for r in runs["bare"])
    paced = run(open_loop(base, ours, ours_rate / 2, args.seconds, args.connections * 4))
    progress(
        f"{label} ours at {paced['rate_per_s']}/s: p50 {paced['p50_ms']} p99 {paced['p99_ms']}"
    )
    other = Counter()
    for result in runs["ours"] + runs["bare"]:
        other.update(result["other"])
    return {
        "ours_per_s": round(ours_rate),
        "bare_per_s": round(bare_rate),
        "ratio": round(ours_rate / bare_rate, 3),
        "runs_per_s": {name: [round(r["per_s"]) for r in rs] for name, rs in runs.items()},
        "other_statuses": dict(other),
        "paced_half_rate": paced,
    }


# --- tenants ------------------------------------------------------------------------------------
def api_tenant(tenants: Tenants, label: str):
    """A tenant of this run with the ``api`` product, its plan's limits raised; and a key."""
    plan = tenants.plan
    if not plan.products.filter(code=Product.Code.API).exists():
        plan.products.add(Product.objects.get(code=Product.Code.API))
        plan.api_requests_per_minute = plan.api_requests_per_minute_per_key = UNLIMITED
        plan.save(update_fields=["api_requests_per_minute", "api_requests_per_minute_per_key"])
    tenant = tenants.new(label)
    _row, key = services.create_key(tenant, name="bench", scopes=scopes.ALL)
    return tenant, {"Authorization": f"Bearer {key}"}


def drop_chats(tenant) -> None:
    """Messages and conversations first, raw: the ORM's cascade would load every row."""
    with transaction.atomic(), connection.cursor() as cursor:
        for table in ("chat_message", "chat_conversationevent", "chat_conversation"):
            cursor.execute(f"DELETE FROM {table} WHERE tenant_id = %s", [tenant.pk])


async def delete_queues() -> None:
    bus = await aio_pika.connect(settings.BUS["URL"], timeout=10)
    async with bus:
        channel = await bus.channel()
        for queue in Queue:
            names = QueueNames.of(queue, settings.BUS["PREFIX"])
            for name in (names.main, names.retry, names.dead):
                await channel.queue_delete(name)


# --- the parts ----------------------------------------------------------------------------------
def contact_list(args, base, tenants) -> dict:
    tenant, headers = api_tenant(tenants, "million")
    progress(f"filling {args.contacts:,} contacts")
    seconds = fill(tenant, args.contacts)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE contacts_contact")
    progress(f"filled in {seconds:.0f}s")
    ours = Endpoint("GET", "/api/v1/contacts/?limit=100", 200, headers)
    bare = Endpoint("GET", f"/bench/contacts/?tenant={tenant.pk}", 200)
    ours_page = httpx.get(base + ours.url, headers=headers).json()["results"]
    bare_page = httpx.get(base + bare.url).json()
    same = [c["id"] for c in ours_page] == [c["id"] for c in bare_page]
    progress(f"pages of {len(ours_page)} and {len(bare_page)} rows, same ids: {same}")
    result = compare(args, base, "list", ours, bare)
    return {"contacts_in_tenant": args.contacts, "same_page": same, **result}


def send_message(args, base, tenants) -> dict:
    tenant, headers = api_tenant(tenants, "send")
    WhatsAppInstance.objects.create(tenant=tenant, name="bench", evolution_name=tenants.plan.slug)
    phones = [f"(11) 9{n:04d}-{n * 7 % 10000:04d}" for n in range(1000, 1000 + CUSTOMERS)]

    def body(n):
        return {"to": phones[n % CUSTOMERS], "text": f"Seu pedido {n} saiu para entrega."}

    ours = Endpoint("POST", "/api/v1/messages/", 202, headers, body)
    bare = Endpoint("POST", "/bench/messages/", 202, body=body)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {BARE_MESSAGE_TABLE} (id bigserial PRIMARY KEY, body jsonb)")

    async def open_conversations():
        async with client_for(base, 1) as client:
            for n in range(CUSTOMERS):
                assert await ours.call(client, n) == 202

    try:
        asyncio.run(open_conversations())
        result = compare(args, base, "send", ours, bare)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {BARE_MESSAGE_TABLE}")
        drop_chats(tenant)
    return {"transport": settings.BUS["TRANSPORT"], "customers": CUSTOMERS, **result}


def bulk_upsert(args, base, tenants) -> dict:
    tenant, headers = api_tenant(tenants, "bulk")
    seconds, other = [], Counter()
    with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
        for request in range(args.bulk_requests):
            items = []
            for n in range(request * BULK_SIZE, (request + 1) * BULK_SIZE):
                items.append(
                    {
                        "phone": f"(21) 9{n // 10000 + 1000:04d}-{n % 10000:04d}",
                        "name": f"Cliente {n}",
                        "email": f"cliente{n}@exemplo.com.br",
                        "city": "Rio de Janeiro",
                        "state": "RJ",
                        "tags": ["api", "lote-" + str(request % 4)],
                        "custom_fields": {"plano": "ouro"},
                    }
                )
            started = time.perf_counter()
            response = client.post("/api/v1/contacts/bulk/", json={"contacts": items})
            seconds.append(time.perf_counter() - started)
            if response.status_code != 200:
                other[response.status_code] += 1
                progress(f"bulk {request + 1}: {response.status_code} {response.text[:300]}")
            elif request == 0:
                counted = Counter(item["status"] for item in response.json()["results"])
                progress(f"bulk 1: {dict(counted)} in {seconds[-1]:.2f}s")
    stored = Contact.objects.for_tenant(tenant).count()
    rate = BULK_SIZE * (args.bulk_requests - sum(other.values())) / sum(seconds)
    progress(f"bulk: {rate:.0f} contacts/s, stored {stored}")
    return {
        "requests": args.bulk_requests,
        "contacts_per_request": BULK_SIZE,
        "contacts_per_s": round(rate),
        "request_s": {
            "median": round(statistics.median(seconds), 3),
            "max": round(max(seconds), 3),
        },
        "contacts_stored": stored,
        "other_statuses": dict(other),
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.api", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--contacts", type=int, default=1_000_000, help="list tenant size")
    parser.add_argument("--seconds", type=float, default=15, help="per measured run (15)")
    parser.add_argument("--warmup", type=float, default=3, help="seconds per endpoint (3)")
    parser.add_argument("--repeats", type=int, default=2, help="alternated runs, median (2)")
    parser.add_argument("--connections", type=int, default=8, help="concurrent (8)")
    parser.add_argument("--bulk-requests", type=int, default=20, help="(20)")
    parser.add_argument("--skip", choices=["list", "send", "bulk"], action="append", default=[])
    parser.add_argument("--keep", action="store_true", help="keep the 1M-contact tenant")
    args = parser.parse_args(argv)

    started = time.monotonic()
    migrate()
    tenants = Tenants()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    load_before = os.getloadavg()
    result = {"benchmark": "api", "date": datetime.now(UTC).date().isoformat()}
    with open(f"/tmp/bench-api-daphne-{os.getpid()}.log", "w") as log:
        server = None
        try:
            server = start_server(port, log)
            progress(f"daphne on {base} (log {log.name})")
            parts = (("list", contact_list), ("send", send_message), ("bulk", bulk_upsert))
            for name, part in parts:
                if name not in args.skip:
                    result[name] = part(args, base, tenants)
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=30)
            keep = {t.slug for t in tenants.made if args.keep and t.slug.endswith("-million")}
            tenants.drop_all(keep=keep)
            asyncio.run(delete_queues())
            progress(f"{time.monotonic() - started:.0f}s in all")
    result["targets"] = {
        part: {
            "ratio_met": result[part]["ratio"] >= LIST_RATIO_TARGET,
            "p99_met": result[part]["paced_half_rate"]["p99_ms"] < P99_TARGET_MS,
        }
        for part in ("list", "send")
        if part in result
    }
    if "bulk" in result:
        result["targets"]["bulk_met"] = result["bulk"]["contacts_per_s"] >= BULK_TARGET
    result.update(
        server="daphne " + metadata.version("daphne"),
        connections=args.connections,
        load_average_before=[round(x, 2) for x in load_before],
        load_average_after=[round(x, 2) for x in os.getloadavg()],
        python=platform.python_version(),
        postgresql=POSTGRES_VERSION,
        django=metadata.version("django"),
        djangorestframework=metadata.version("djangorestframework"),
        httpx=metadata.version("httpx"),
        cpus=os.cpu_count(),
    )
    print(json.dumps(result, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
