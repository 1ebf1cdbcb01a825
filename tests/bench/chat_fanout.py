"""Benchmark: an inbound WhatsApp message, from the webhook POST to every agent's socket.

    cd /work/main && .venv/bin/python -m tests.bench.chat_fanout [--seconds 30] [--repeats 2]

One tenant of this run: ``--agents`` agents (role agent) spread evenly over ``--departments``
departments, one WhatsApp instance per department with that department as its default (so a
customer's conversation opens in it), ``--customers`` customers per instance. A daphne process
(as deployed) serves ``tests.bench.chat_fanout_asgi`` (Alrea's application plus one bare socket)
with the Redis channel layer, and a ``process_webhooks`` worker applies the webhooks; both with
the test suite's settings, DEBUG off (``tests.bench.api_settings``). This process opens, in one
asyncio loop, a chat socket (``ws/chat/``, signed in by its session cookie) for every agent and a
bare socket for every agent, then runs three ways at ``--rate`` messages a second (open loop:
latency counts from the moment a message was due), alternated ``--repeats`` times:

- **ours**: ``POST /webhooks/evolution/`` of a ``messages.upsert`` text from a customer of one
  instance, with the instance's secret header, as Evolution sends it; the worker stores it and
  ``chat.live`` pushes it to the tenant's group; every chat socket checks that its agent may see
  the conversation. Entitled: the agents of the instance's department.
- **baseline**: a plain ``channels_redis`` ``group_send`` from this process to a group per
  department, joined by the bare sockets of that department's agents, which forward it as it is.
- **tenant group** (a diagnostic, not a target): ``group_send`` of a ready-made ``chat.event`` to
  the tenant's group, so the chat sockets' per-event check runs but no webhook, worker or
  database write does. It tells what the sockets cost apart from the path before them.

Every (message, entitled socket) arrival is timed. A message an entitled socket never got
within ``--grace`` seconds is missed; a message or conversation event on the socket of an agent
who may not see that conversation is wrongly delivered. Messages go to the customers'
existing conversations: a warm-up opens them first (a new conversation also notifies its
department, another path). Progress goes to stderr; the last line on stdout is one JSON object.
"""

import argparse
import asyncio
import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib import metadata

from tests.bench import ROOT

# Importing it sets Django up (ensure_database, django.setup) before any model is imported.
from tests.bench.contacts_import import POSTGRES_VERSION, RUN, Tenants

# isort: split
import httpx
import websockets
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.utils import timezone

from accounts.models import Department, Role, User
from chat import live, selectors
from chat.models import Conversation
from tests.bench.database import migrate
from tests.whatsapp.webhooks import payloads
from whatsapp.models import WebhookEvent, WhatsAppInstance
from whatsapp.webhook_config import SECRET_HEADER

P99_TARGET_MS = 100
SERVER_SETTINGS = "tests.bench.api_settings"  # the test suite's, DEBUG off
WAYS = ("baseline", "ours", "tenant_group")
TAG = f"fanout {RUN} "  # starts every measured message's text


# One INFO line per request would drown the progress lines.
logging.getLogger("httpx").setLevel(logging.WARNING)


def progress(text: str) -> None:
    print(f"[chat_fanout] {text}", file=sys.stderr, flush=True)


# --- the servers ----------------------------------------------------------------------------
def server_env() -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SERVER_SETTINGS,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "platform")]),
        "LOG_LEVEL": "WARNING",
    }


def start(command: list[str], log) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=ROOT, env=server_env(), stdout=log, stderr=log)


def wait_for_http(base: str, server: subprocess.Popen, log) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"daphne exited with {server.returncode}; see {log.name}")
        try:
            httpx.get(f"{base}/healthz")
            return
        except httpx.TransportError:
            time.sleep(0.3)
    raise SystemExit("daphne did not answer within 60 s")


# --- the tenant -----------------------------------------------------------------------------
class Company:
    """The run's tenant: departments, agents with their session keys, instances, customers."""

    def __init__(self, tenants: Tenants, agents: int, departments: int, customers: int):
        self.tenant = tenants.new("fanout")
        self.departments = [
            Department.objects.create(tenant=self.tenant, name=f"Department {d + 1}")
            for d in range(departments)
        ]
        self.agents: list[tuple[int, str]] = []  # (department index, session key)
        for n in range(agents):
            d = n % departments
            user = User.objects.create_user(
                f"agent{n}@{RUN}.example.com", tenant=self.tenant, role=Role.AGENT
            )
            user.departments.add(self.departments[d])
            client = Client()  # one each: logging out would delete the session
            client.force_login(user)
            self.agents.append((d, client.cookies[settings.SESSION_COOKIE_NAME].value))
        self.instances = [
            WhatsAppInstance.objects.create(
                tenant=self.tenant,
                name=f"Number {d + 1}",
                evolution_name=f"{RUN}-{d}",
                state="open",
                default_department=department,
            )
            for d, department in enumerate(self.departments)
        ]
        self.customers = [
            [f"55119{d}{c:07d}@s.whatsapp.net" for c in range(customers)]
            for d in range(departments)
        ]

    def department_of_conversations(self) -> dict[str, int]:
        index = {department.pk: d for d, department in enumerate(self.departments)}
        rows = Conversation.objects.for_tenant(self.tenant).values_list("pk", "department_id")
        return {str(pk): index.get(department, -1) for pk, department in rows}

    def conversations_by_department(self) -> list[list[tuple[str, list[str]]]]:
        """Each department's conversations, with who may see each (as ``chat.live`` says)."""
        rows = Conversation.objects.for_tenant(self.tenant).order_by("pk")
        return [
            [(str(c.pk), selectors.audience(c)) for c in rows.filter(department=department)]
            for department in self.departments
        ]

    def forget_sessions(self) -> None:
        for _department, key in self.agents:
            SessionStore(session_key=key).delete()


# --- the sockets ----------------------------------------------------------------------------
class Arrivals:
    """Every measured message's arrival on every socket, stamped as it comes in."""

    def __init__(self):
        self.times: dict[str, dict[int, list[float]]] = {}  # tag -> socket -> arrivals
        self.conversations: list[tuple[int, str]] = []  # (chat socket, conversation id) seen

    last = 0.0  # when anything last arrived on any socket

    def record(self, socket: int, tag: str, now: float) -> None:
        self.times.setdefault(tag, {}).setdefault(socket, []).append(now)


class Socket:
    """One socket: ``kind`` "chat" (JSON events) or "bare" (the tag as text)."""

    def __init__(self, url: str, arrivals: Arrivals, index: int, kind: str, cookie: str = ""):
        self.url, self.arrivals, self.index, self.kind = url, arrivals, index, kind
        self.headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"} if cookie else {}
        self.connection = self.reader = None

    async def open(self) -> None:
        self.connection = await websockets.connect(
            self.url,
            origin="http://127.0.0.1",
            additional_headers=self.headers,
            compression=None,
            ping_interval=None,
            open_timeout=30,
        )
        if self.kind == "chat":
            first = json.loads(await asyncio.wait_for(self.connection.recv(), 30))
            if first["type"] != "ready":
                raise SystemExit(f"chat socket {self.index}: {first}")
        self.reader = asyncio.create_task(self.read())

    async def read(self) -> None:
        try:
            async for text in self.connection:
                self.received(text, time.perf_counter())
        except websockets.ConnectionClosed as closed:
            progress(f"socket {self.index} ({self.kind}) closed: {closed}")

    def received(self, text: str, now: float) -> None:
        self.arrivals.last = now
        if self.kind == "bare":
            self.arrivals.record(self.index, text, now)
            return
        event = json.loads(text)
        conversation = event.get("conversation") or {}
        if conversation.get("id"):
            self.arrivals.conversations.append((self.index, conversation["id"]))
        body = (event.get("message") or {}).get("body") or ""
        if event["type"] == "message" and body.startswith(TAG):
            self.arrivals.record(self.index, body[len(TAG) :], now)

    async def close(self) -> None:
        self.reader.cancel()
        await self.connection.close()


async def open_all(sockets: list[Socket], at_once: int = 20) -> None:
    for first in range(0, len(sockets), at_once):
        await asyncio.gather(*(socket.open() for socket in sockets[first : first + at_once]))


# --- the ways -------------------------------------------------------------------------------
class Bench:
    def __init__(self, args, company: Company, base: str):
        self.args, self.company, self.base = args, company, base
        self.arrivals = Arrivals()
        self.expected: dict[str, tuple[str, float, int]] = {}  # tag -> (way, due, department)
        self.sequence = 0
        self.http = httpx.AsyncClient(base_url=base, timeout=30)
        self.layer = get_channel_layer()
        self.post_failures = 0

    # Each ``send_<way>(tag, department, n)`` sends one message to one department's agents.
    async def send_ours(self, tag: str, d: int, n: int) -> None:
        instance = self.company.instances[d]
        customers = self.company.customers[d]
        self.sequence += 1
        body = payloads.text(
            instance.evolution_name,
            TAG + tag,
            remote_jid=customers[n % len(customers)],
            timestamp=payloads.BASE_TS + self.sequence,
        )
        response = await self.http.post(
            "/webhooks/evolution/",
            content=json.dumps(body),
            headers={SECRET_HEADER: instance.webhook_secret, "Content-Type": "application/json"},
        )
        if response.status_code != 200:
            self.post_failures += 1
            progress(f"webhook answered {response.status_code}: {response.text[:200]}")

    async def send_baseline(self, tag: str, d: int, n: int) -> None:
        await self.layer.group_send(bare_group(d), {"type": "bench.event", "text": tag})

    async def send_tenant_group(self, tag: str, d: int, n: int) -> None:
        conversation, audience = self.conversations[d][n % len(self.conversations[d])]
        await self.layer.group_send(
            live.group_name(self.company.tenant.pk),
            {
                "type": "chat.event",
                "tenant_id": str(self.company.tenant.pk),
                "audience": audience,
                "text": json.dumps(
                    {
                        "type": "message",
                        "message": {"body": TAG + tag, "conversation_id": conversation},
                        "conversation": {"id": conversation},
                    }
                ),
            },
        )

    async def run(self, way: str, label: str, count: int) -> list[str]:
        """``count`` messages of ``way`` at the rate, round robin over the departments."""
        send = getattr(self, f"send_{way}")
        rate, tasks, tags = self.args.rate, [], []
        start = time.perf_counter() + 0.05
        for n in range(count):
            due = start + n / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            tag, d = f"{label}-{n}", n % len(self.company.departments)
            self.expected[tag] = (way, due, d)
            tags.append(tag)
            tasks.append(asyncio.create_task(send(tag, d, n)))
        await asyncio.gather(*tasks)
        await self.settle(tags)
        self.drained_after_s = await self.quiesce()
        return tags

    async def quiesce(self) -> float:
        """Seconds until the worker has nothing left to apply and no socket has received
        anything for a second (at most ``--quiet-timeout``): what one way left behind must not
        land in the next one's figures."""
        started = time.perf_counter()
        waiting = WebhookEvent.objects.filter(tenant=self.company.tenant, status="received")
        while time.perf_counter() - started < self.args.quiet_timeout:
            idle = time.perf_counter() - self.arrivals.last
            if idle > 1 and not await sync_to_async(waiting.exists)():
                break
            await asyncio.sleep(0.2)
        return round(time.perf_counter() - started, 1)

    def applied_after_received(self, since) -> dict:
        """The worker's share of ours: from the raw row's INSERT to its event applied."""
        rows = WebhookEvent.objects.filter(
            tenant=self.company.tenant, received_at__gte=since, processed_at__isnull=False
        )
        delays = [
            (processed - received).total_seconds() * 1000
            for received, processed in rows.values_list("received_at", "processed_at")
        ]
        if len(delays) < 2:
            return {}
        quantiles = statistics.quantiles(delays, n=100)
        return {"p50_ms": round(quantiles[49], 1), "p99_ms": round(quantiles[98], 1)}

    def entitled(self, way: str, d: int) -> list[int]:
        """Chat sockets for ours and the tenant group, bare ones for the baseline."""
        return self.agents_of[d]

    async def settle(self, tags: list[str]) -> None:
        """Until every entitled socket has every message, or ``--grace`` seconds pass."""
        deadline = time.perf_counter() + self.args.grace
        while time.perf_counter() < deadline:
            if all(self.complete(tag) for tag in tags):
                return
            await asyncio.sleep(0.05)

    def complete(self, tag: str) -> bool:
        way, _due, d = self.expected[tag]
        got = self.arrivals.times.get(tag, {})
        return all(socket in got for socket in self.entitled(way, d))

    def figures(self, tags: list[str]) -> dict:
        latencies, missed, wrong, duplicates = [], 0, 0, 0
        for tag in tags:
            way, due, d = self.expected[tag]
            entitled = set(self.entitled(way, d))
            got = self.arrivals.times.get(tag, {})
            missed += len(entitled - got.keys())
            for socket, stamps in got.items():
                if socket not in entitled:
                    wrong += len(stamps)
                    continue
                duplicates += len(stamps) - 1
                latencies.append((stamps[0] - due) * 1000)
        figures = {
            "messages": len(tags),
            "deliveries_expected": len(latencies) + missed,
            "missed": missed,
            "wrongly_delivered": wrong,
            "duplicates": duplicates,
        }
        if len(latencies) >= 2:
            quantiles = statistics.quantiles(latencies, n=100)
            figures.update(
                p50_ms=round(quantiles[49], 1),
                p99_ms=round(quantiles[98], 1),
                max_ms=round(max(latencies), 1),
            )
        return figures


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class LoopLag:
    """How late this process's event loop wakes a 10 ms sleep: if the client itself is
    starved, every arrival is stamped late, ours and the baseline's alike."""

    def __init__(self):
        self.lags: list[float] = []
        self.task = asyncio.create_task(self.watch())

    async def watch(self):
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.01)
            self.lags.append((time.perf_counter() - before - 0.01) * 1000)

    def take(self) -> dict:
        lags, self.lags = self.lags, []
        quantiles = statistics.quantiles(lags, n=100) if len(lags) >= 2 else [0.0] * 99
        return {"p50_ms": round(quantiles[49], 1), "p99_ms": round(quantiles[98], 1)}


def bare_group(d: int) -> str:
    return f"{RUN}.department{d}"


async def measure(args, company: Company, port: int, servers: dict[str, int]) -> dict:
    bench = Bench(args, company, f"http://127.0.0.1:{port}")
    departments = len(company.departments)
    base = f"ws://127.0.0.1:{port}"
    chat = [
        Socket(f"{base}/ws/chat/", bench.arrivals, index, "chat", cookie)
        for index, (_d, cookie) in enumerate(company.agents)
    ]
    bare = [
        Socket(f"{base}/ws/bench/bare/{bare_group(d)}/", bench.arrivals, index, "bare")
        for index, (d, _cookie) in enumerate(company.agents)
    ]
    # Socket indexes are the agents': chat and bare sockets of one agent share theirs.
    bench.agents_of = [
        [index for index, (d, _cookie) in enumerate(company.agents) if d == k]
        for k in range(departments)
    ]
    started = time.perf_counter()
    await open_all(chat)
    await open_all(bare)
    progress(f"{len(chat) + len(bare)} sockets open in {time.perf_counter() - started:.1f}s")
    try:
        # Warm-up: one message per customer opens the conversations; a few bare ones.
        customers = sum(len(c) for c in company.customers)
        warm = await bench.run("ours", "warm-ours", customers)
        await bench.run("baseline", "warm-bare", customers)
        progress(f"warm-up: {bench.figures(warm)}, quiet after {bench.drained_after_s}s")
        bench.conversations = await sync_to_async(company.conversations_by_department)()
        count = int(args.rate * args.seconds)
        runs: dict[str, list[list[str]]] = {way: [] for way in args.ways}
        cpu: dict[str, list[dict]] = {way: [] for way in args.ways}
        lags: dict[str, list[dict]] = {way: [] for way in args.ways}
        drained: dict[str, list[float]] = {way: [] for way in args.ways}
        applied: list[dict] = []
        lag = LoopLag()
        for repeat in range(args.repeats):
            for way in args.ways:
                before = {name: cpu_seconds(pid) for name, pid in servers.items()}
                lag.take()
                since = timezone.now()
                tags = await bench.run(way, f"{way}-{repeat}", count)
                drained[way].append(bench.drained_after_s)
                if way == "ours":
                    applied.append(await sync_to_async(bench.applied_after_received)(since))
                cpu[way].append(
                    {
                        name: round((cpu_seconds(pid) - before[name]) * 1000 / count, 2)
                        for name, pid in servers.items()
                    }
                )
                lags[way].append(lag.take())
                runs[way].append(tags)
                progress(
                    f"{way} run {repeat + 1}: {bench.figures(tags)}, cpu ms per message"
                    f" {cpu[way][-1]}, client loop lag {lags[way][-1]},"
                    f" quiet again after {drained[way][-1]}s"
                    + (f", applied after received {applied[-1]}" if way == "ours" else "")
                )
    finally:
        await asyncio.gather(*(socket.close() for socket in chat + bare))
        await bench.http.aclose()
    result = {}
    for way, tag_runs in runs.items():
        result[way] = bench.figures([t for tags in tag_runs for t in tags])
        result[way]["runs_p99_ms"] = [bench.figures(tags).get("p99_ms") for tags in tag_runs]
        result[way]["cpu_ms_per_message"] = cpu[way]
        result[way]["client_loop_lag"] = lags[way]
        result[way]["quiet_again_after_s"] = drained[way]
    if "ours" in result:
        rows = await sync_to_async(company.department_of_conversations)()
        result["ours"]["wrong_conversation_events"] = sum(
            1
            for socket, conversation in bench.arrivals.conversations
            if rows.get(conversation) != company.agents[socket][0]
        )
        result["ours"]["webhook_failures"] = bench.post_failures
        result["ours"]["applied_after_received"] = applied
    return result


def serve_and_measure(args, company: Company) -> dict:
    """Start daphne and the webhook worker, measure, stop them."""
    daphne_command = ["-m", "daphne", "-b", "127.0.0.1", "-p", str(args.port)]
    with open(f"/tmp/bench-chat-fanout-{os.getpid()}.log", "w") as log:
        progress(
            f"{args.agents} agents in {args.departments} departments; servers log to {log.name}"
        )
        daphne = start(
            [sys.executable, *daphne_command, "tests.bench.chat_fanout_asgi:application"], log
        )
        workers = [
            start([sys.executable, "manage.py", "process_webhooks"], log)
            for _ in range(args.workers)
        ]
        try:
            wait_for_http(f"http://127.0.0.1:{args.port}", daphne, log)
            servers = {"daphne": daphne.pid, "client": os.getpid()}
            servers.update({f"worker{n + 1}": worker.pid for n, worker in enumerate(workers)})
            return asyncio.run(measure(args, company, args.port, servers))
        finally:
            for process in (daphne, *workers):
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.chat_fanout", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--departments", type=int, default=4)
    parser.add_argument("--customers", type=int, default=10, help="per instance (10)")
    parser.add_argument("--rate", type=float, default=20, help="messages a second (20)")
    parser.add_argument("--seconds", type=float, default=30, help="per measured run (30)")
    parser.add_argument("--repeats", type=int, default=2, help="alternated runs (2)")
    parser.add_argument("--grace", type=float, default=10, help="seconds to wait for stragglers")
    parser.add_argument("--port", type=int, default=8850)
    parser.add_argument("--workers", type=int, default=1, help="process_webhooks processes (1)")
    parser.add_argument(
        "--quiet-timeout", type=float, default=120, help="longest wait between ways (120 s)"
    )
    parser.add_argument("--ways", nargs="+", choices=WAYS, default=list(WAYS), help="(all)")
    args = parser.parse_args(argv)

    started = time.monotonic()
    migrate()
    tenants = Tenants()
    load_before = os.getloadavg()
    company = None
    try:
        company = Company(tenants, args.agents, args.departments, args.customers)
        result = serve_and_measure(args, company)
    finally:
        if company is not None:
            company.forget_sessions()
        tenants.drop_all()
        progress(f"{time.monotonic() - started:.0f}s in all")
    ours, baseline = result.get("ours", {}), result.get("baseline", {})

    def ratio(key: str) -> float | None:
        if ours.get(key) is None or not baseline.get(key):
            return None
        return round(ours[key] / baseline[key], 2)

    print(
        json.dumps(
            {
                "benchmark": "chat_fanout",
                "date": datetime.now(UTC).date().isoformat(),
                "agents": args.agents,
                "departments": args.departments,
                "rate_per_s": args.rate,
                "seconds": args.seconds,
                "repeats": args.repeats,
                **result,
                "ratio_p50": ratio("p50_ms"),
                "ratio_p99": ratio("p99_ms"),
                "targets": {
                    "p99_met": ours.get("p99_ms", float("inf")) < P99_TARGET_MS,
                    "none_missed": ours.get("missed") == 0,
                    "none_wrong": ours.get("wrongly_delivered") == 0
                    and ours.get("wrong_conversation_events") == 0,
                },
                "server": "daphne " + metadata.version("daphne"),
                "load_average_before": [round(x, 2) for x in load_before],
                "load_average_after": [round(x, 2) for x in os.getloadavg()],
                "python": platform.python_version(),
                "postgresql": POSTGRES_VERSION,
                "channels": metadata.version("channels"),
                "channels_redis": metadata.version("channels_redis"),
                "cpus": os.cpu_count(),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
