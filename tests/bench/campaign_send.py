"""Benchmark: the campaign engine against the Evolution simulator, with real consumer processes.

    cd /work/main && .venv/bin/python -m tests.bench.campaign_send
        [--recipients 2000] [--repeats 3] [--pacing-seconds 120] [--fault-recipients 10000]
        [--only throughput|pacing|fault]

Everything runs for real: two ``manage.py consume campaign.send`` processes, PostgreSQL (the
``alrea`` database of tests.settings, in a tenant of its own, deleted at the end), RabbitMQ and
the simulator (in this process, its sent log time-stamped on arrival). Three measurements:

1. **throughput**: intervals 0, ``--instances`` numbers, ``--recipients`` recipients, from
   ``services.start`` until every recipient is final; against a baseline of two bare
   aio-pika + httpx consumer processes (``tests/bench/raw_consumer.py``) sending the same
   messages to the same simulator. Interleaved ``--repeats`` times; the median counts.
2. **pacing**: 3 numbers at intervals 1-2 s for ``--pacing-seconds``: the gaps between one
   number's sends as the simulator saw them; then ``services.pause`` and how long sends still
   arrive after it.
3. **fault**: ``--fault-recipients`` recipients, a consumer SIGKILLed ``--kills`` times at random
   moments (and restarted), RabbitMQ restarted once; Evolution's webhooks reach a receiver
   (``manage.py runserver``) so that ``engine.reconcile`` can read the ``send.message`` echoes.
   Every recipient must end final, the simulator must see each number once, and the counters
   must equal the rows.

RabbitMQ is a node of its own (``--broker private``, the default: started here on free ports
with its own data directory, stopped and removed at the end; needs root or the rabbitmq user),
so that restarting it disturbs no one else's queues. ``--broker shared`` uses RABBITMQ_URL and
skips the broker restart. Progress goes to stderr; the last stdout line is one JSON object.
"""

import argparse
import asyncio
import atexit
import contextlib
import itertools
import json
import logging
import os
import platform
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from tests.bench import ROOT


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.campaign_send", description=None)
    parser.add_argument("--recipients", type=int, default=2000, help="throughput run (2000)")
    parser.add_argument("--instances", type=int, default=4, help="throughput numbers (4)")
    parser.add_argument("--repeats", type=int, default=3, help="throughput: median of (3)")
    parser.add_argument("--pacing-seconds", type=float, default=120, help="(120)")
    parser.add_argument("--fault-recipients", type=int, default=10_000, help="(10000)")
    parser.add_argument("--kills", type=int, default=5, help="SIGKILLs in the fault run (5)")
    parser.add_argument("--only", choices=("throughput", "pacing", "fault"), action="append")
    parser.add_argument("--broker", choices=("private", "shared"), default="private")
    parser.add_argument("--seed", type=int, default=None, help="for the kill moments")
    parser.add_argument("--expected-rate", type=float, default=50, help="--only fault: sends/s")
    return parser.parse_args()


def progress(text: str) -> None:
    print(f"[campaign_send] {text}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


class PrivateRabbitMQ:
    """A RabbitMQ node of this run only: its own name, ports and data directory."""

    def __init__(self):
        self.port, dist_port = free_port(), free_port()
        self.node = f"alreabench{os.getpid()}@localhost"
        self.base = Path(tempfile.mkdtemp(prefix="alrea-bench-rabbitmq-"))
        (self.base / "enabled_plugins").write_text("[].\n")
        (self.base / "rabbitmq.conf").write_text(f"listeners.tcp.default = 127.0.0.1:{self.port}\n")
        shutil.chown(self.base, "rabbitmq", "rabbitmq")
        self.env = {
            **os.environ,
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.base / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(self.base / "rabbitmq"),
            "RABBITMQ_CONF_ENV_FILE": str(self.base / "no-env.conf"),  # not /etc's NODENAME
            "RABBITMQ_PID_FILE": str(self.base / "pid"),
        }
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}/%2F"

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            ["rabbitmqctl", "-n", self.node, *args],
            env=self.env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=120,
        )

    def start(self) -> "PrivateRabbitMQ":
        subprocess.run(["rabbitmq-server", "-detached"], env=self.env, check=True, timeout=60)
        deadline = time.monotonic() + 60
        while True:  # the node registers with epmd a moment after -detached returns
            try:
                self._ctl("await_startup")
                break
            except subprocess.CalledProcessError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        wait_for_port(self.port)
        return self

    def stop(self) -> None:
        self._ctl("stop")

    def restart(self) -> float:
        """Stop the node (the whole Erlang VM) and start it again; returns seconds down."""
        down = time.monotonic()
        self.stop()
        self.start()
        return time.monotonic() - down

    def remove(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError):
            self.stop()
        shutil.rmtree(self.base, ignore_errors=True)


ARGS = parse_args()
BROKER = PrivateRabbitMQ() if ARGS.broker == "private" else None
if BROKER:
    atexit.register(BROKER.remove)  # however the run ends
    os.environ["RABBITMQ_URL"] = BROKER.start().url
# Our own queues; consumers and the receiver inherit all of this. DEBUG off as in production
# (with it on, Django keeps every query of a process in memory).
os.environ["BUS_PREFIX"] = f"bench-{os.getpid()}-{uuid.uuid4().hex[:8]}."
os.environ["DEBUG"] = "false"
os.environ["SECRET_KEY"] = secrets.token_urlsafe(48)  # DEBUG off wants a real one
os.environ["CAMPAIGN_TYPING_MS"] = "0"
os.environ["CAMPAIGN_RECONCILE_AFTER_SECONDS"] = "5"

from tests.bench.database import ensure_database  # noqa: E402

POSTGRES_VERSION = ensure_database()

import django  # noqa: E402

django.setup()

import aio_pika  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import DatabaseError, connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from bus.errors import BusUnavailable  # noqa: E402
from bus.queues import Queue  # noqa: E402
from bus.transports import reset_transport  # noqa: E402
from bus.transports.rabbitmq import QueueNames  # noqa: E402
from campaigns import dispatch, services, transitions  # noqa: E402
from campaigns.models import Campaign, CampaignMessage, CampaignRecipient  # noqa: E402
from contacts.models import Contact, ContactTag, Tag  # noqa: E402
from tenancy.models import Plan, Product, Tenant  # noqa: E402
from tests.bench.database import migrate  # noqa: E402
from whatsapp import services as instance_services  # noqa: E402
from whatsapp.models import WhatsAppInstance  # noqa: E402
from whatsapp.simulator import Switches  # noqa: E402
from whatsapp.simulator.server import BackgroundSimulator  # noqa: E402

RUN = os.environ["BUS_PREFIX"].rstrip(".")
API_KEY = "bench-simulator-key"
DEAD_URL = f"http://127.0.0.1:{free_port()}"  # webhooks refused at once: no receiver
BASELINE_QUEUE = f"{os.environ['BUS_PREFIX']}baseline"
S = CampaignRecipient.Status
OWNER_NUMBERS = itertools.count(1)
BODY = "Oi {{primeiro_nome}}, temos uma oferta para você!"


class TimedLog(list):
    """The simulator's sent log, each entry stamped with time.monotonic() as it arrives."""

    def append(self, item):
        super().append({**item, "at": time.monotonic()})


def start_simulator() -> tuple[BackgroundSimulator, TimedLog]:
    switches = Switches(
        connect_delay_seconds=None,
        delay_scale=0.01,
        ack_delay_ms=3_600_000,  # receipts never come during the run: only send.message posts
        webhook_retry_max_attempts=1,
        webhook_timeout_ms=5000,
    )
    # Webhooks to the dead URL are refused on purpose; one warning each would flood stderr.
    logging.getLogger("whatsapp.simulator.webhooks").setLevel(logging.ERROR)
    simulator = BackgroundSimulator(API_KEY, switches=switches)
    log = simulator.app.state.simulator.sent = TimedLog()
    return simulator.start(), log


# --- Processes -----------------------------------------------------------------------------


class Processes:
    """Child processes of the run, each logging to a file of its own; all stopped at the end."""

    def __init__(self, simulator: BackgroundSimulator):
        self.logs = Path(tempfile.mkdtemp(prefix="alrea-bench-campaign-"))
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "EVOLUTION_API_URL": simulator.url,
            "EVOLUTION_API_KEY": API_KEY,
        }
        self.running: list[subprocess.Popen] = []
        self.count = 0

    def start(self, *command: str, ready: str = "", port: int | None = None) -> subprocess.Popen:
        self.count += 1
        log = self.logs / f"{self.count:02d}-{command[-1].rsplit('/', 1)[-1]}.log"
        with open(log, "w") as out:
            process = subprocess.Popen(
                [sys.executable, *command], cwd=ROOT, env=self.env, stdout=out, stderr=out
            )
        self.running.append(process)
        deadline = time.monotonic() + 60
        while ready and ready not in log.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{' '.join(command)} did not start:\n{log.read_text()}")
            time.sleep(0.05)
        if port:
            wait_for_port(port)
        return process

    def consumer(self) -> subprocess.Popen:
        return self.start("manage.py", "consume", "campaign.send", ready="consuming campaign.send")

    def stop(self, process: subprocess.Popen, sig=signal.SIGTERM) -> None:
        if process.poll() is None:
            process.send_signal(sig)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.running.remove(process)

    def stop_all(self) -> None:
        for process in list(self.running):
            self.stop(process)


# --- Data ----------------------------------------------------------------------------------


def phone(n: int) -> str:
    return f"+551198{n:06d}1"  # never ends in 0000 (the simulator's "not on WhatsApp")


def make_audience(tenant: Tenant, count: int) -> list[Contact]:
    """``count`` contacts, all in the tag "all"; returns them in creation order."""
    tag = Tag.objects.create(tenant=tenant, name="all")
    contacts = Contact.objects.bulk_create(
        Contact(tenant=tenant, name=f"Cliente {n} Silva", phone=phone(n)) for n in range(count)
    )
    ContactTag.objects.bulk_create(ContactTag(contact=c, tag=tag) for c in contacts)
    return contacts


def tag_of(tenant: Tenant, name: str, contacts: list[Contact]) -> Tag:
    tag = Tag.objects.create(tenant=tenant, name=name)
    ContactTag.objects.bulk_create(ContactTag(contact=c, tag=tag) for c in contacts)
    return tag


def make_numbers(tenant, simulator, names: list[str], public_url: str) -> list[WhatsAppInstance]:
    numbers = []
    with override_settings(PUBLIC_URL=public_url):
        for name in names:
            instance = instance_services.create_instance(tenant, name, daily_send_limit=10**6)
            owner = f"55119700{next(OWNER_NUMBERS):05d}"
            simulator.control.scan(instance.evolution_name, number=owner, profile_name=name)
            WhatsAppInstance.objects.filter(pk=instance.pk).update(state="open")
            instance.refresh_from_db()
            numbers.append(instance)
    return numbers


def make_campaign(tenant, name, numbers, tag, *, interval=(0, 0)) -> Campaign:
    campaign = Campaign.objects.create(
        tenant=tenant,
        name=name,
        interval_min=interval[0],
        interval_max=interval[1],
        typing_presence=False,
    )
    campaign.instances.set(numbers)
    campaign.audience_tags.set([tag])
    CampaignMessage.objects.create(tenant=tenant, campaign=campaign, body=BODY, order=0)
    return campaign


def unfinished(campaign: Campaign) -> int:
    counts = campaign.counts()
    return counts["pending"] + counts["queued"] + counts["sending"]


def check_counters(campaign: Campaign) -> dict:
    """Counters against the rows (GROUP BY status), and whether every recipient is final."""
    campaign.refresh_from_db()
    rows = dict(
        campaign.recipients.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    counters = campaign.counts()
    return {
        "rows_by_status": rows,
        "counters_equal_rows": all(counters[s] == rows.get(s, 0) for s in S.values),
        "all_final": set(rows) <= set(transitions.FINAL),
        "campaign_status": campaign.status,
    }


def wait_for_completion(campaign: Campaign, timeout: float = 10) -> float | None:
    """Seconds until the campaign left "running" (None: it did not within ``timeout``)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        campaign.refresh_from_db(fields=["status"])
        if campaign.status != Campaign.Status.RUNNING:
            return round(time.monotonic() - started, 2)
        time.sleep(0.05)
    return None


def sends_of(log: TimedLog, start: int, names: set[str]) -> list[dict]:
    return [entry for entry in list(log)[start:] if entry["instance"] in names]


def duplicates(sends: list[dict]) -> int:
    jids = [entry["message"]["key"]["remoteJid"] for entry in sends]
    return len(jids) - len(set(jids))


def rate_seen(sends: list[dict]) -> float:
    """Sends per second on the simulator's side, first to last arrival."""
    times = sorted(entry["at"] for entry in sends)
    return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0


# --- 1. Throughput -------------------------------------------------------------------------


class Baseline:
    """The bare consumers' queue: filled here with raw aio-pika, drained by raw_consumer.py.

    A connection per use: between uses this process runs no event loop, so an open connection
    would miss RabbitMQ's heartbeats during our own (longer) runs and be closed by the broker.
    """

    def __init__(self, runner: asyncio.Runner):
        self.runner = runner

    async def _channel(self, connection):
        channel = await connection.channel(publisher_confirms=True)
        await channel.declare_queue(BASELINE_QUEUE, durable=True)
        return channel

    async def _publish(self, bodies: list[bytes], width: int = 100) -> None:
        async with await aio_pika.connect(settings.RABBITMQ_URL, timeout=10) as connection:
            exchange = (await self._channel(connection)).default_exchange
            for start in range(0, len(bodies), width):
                messages = [
                    aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
                    for body in bodies[start : start + width]
                ]
                await asyncio.gather(*(exchange.publish(m, BASELINE_QUEUE) for m in messages))

    def open(self) -> None:
        self.runner.run(self._publish([]))  # declares the queue for the consumers

    def publish(self, bodies: list[bytes]) -> None:
        self.runner.run(self._publish(bodies))

    async def _close(self) -> None:
        async with await aio_pika.connect(settings.RABBITMQ_URL, timeout=10) as connection:
            await (await self._channel(connection)).queue_delete(BASELINE_QUEUE)

    def close(self) -> None:
        self.runner.run(self._close())


def run_ours(campaign: Campaign, log: TimedLog, names: set[str], total: int) -> dict:
    first = len(log)
    started = time.monotonic()
    services.start(campaign)
    while unfinished(campaign):
        if time.monotonic() - started > 600:
            raise RuntimeError(f"throughput run stuck: {check_counters(campaign)}")
        time.sleep(0.02)
    seconds = time.monotonic() - started
    sends = sends_of(log, first, names)
    return {
        "seconds": round(seconds, 2),
        "per_s": total / seconds,
        "seen_per_s": rate_seen(sends),
        "sends": len(sends),
        "duplicates": duplicates(sends),
        **check_counters(campaign),
    }


def run_baseline(baseline: Baseline, bodies: list[bytes], log: TimedLog, names: set[str]) -> dict:
    first = len(log)
    started = time.monotonic()
    baseline.publish(bodies)
    while len(log) - first < len(bodies):
        if time.monotonic() - started > 600:
            raise RuntimeError(f"baseline stuck at {len(log) - first} sends")
        time.sleep(0.005)
    seconds = time.monotonic() - started
    sends = sends_of(log, first, names)
    return {
        "seconds": round(seconds, 2),
        "per_s": len(bodies) / seconds,
        "seen_per_s": rate_seen(sends),
        "sends": len(sends),
        "duplicates": duplicates(sends),
    }


def throughput(tenant, simulator, log, processes, contacts, runner) -> dict:
    numbers = make_numbers(
        tenant, simulator, [f"T{n}" for n in range(ARGS.instances)], public_url=DEAD_URL
    )
    names = {i.evolution_name for i in numbers}
    audience = contacts[: ARGS.recipients]
    tag = tag_of(tenant, "throughput", audience)
    bodies = [
        json.dumps(
            {
                "instance": numbers[n % len(numbers)].evolution_name,
                "number": contact.phone.lstrip("+"),
                "text": BODY.replace("{{primeiro_nome}}", "Cliente"),
            }
        ).encode()
        for n, contact in enumerate(audience)
    ]
    baseline = Baseline(runner)
    baseline.open()
    command = ["-m", "tests.bench.raw_consumer", settings.RABBITMQ_URL, BASELINE_QUEUE]
    command += [simulator.url, API_KEY, "--prefetch", str(settings.BUS["PREFETCH"])]
    raw = [processes.start(*command, ready="ready") for _ in range(2)]
    ours_runs, baseline_runs = [], []
    try:
        # Warm-up: connections, pools and caches of every process, both ways.
        run_baseline(baseline, bodies[:200], log, names)
        warm = tag_of(tenant, "warm-up", audience[:200])
        run_ours(make_campaign(tenant, "warm-up", numbers, warm), log, names, 200)
        for repeat in range(1, ARGS.repeats + 1):
            baseline_runs.append(run_baseline(baseline, bodies, log, names))
            campaign = make_campaign(tenant, f"throughput {repeat}", numbers, tag)
            ours_runs.append(run_ours(campaign, log, names, len(audience)))
            progress(
                f"throughput {repeat}/{ARGS.repeats}: ours {ours_runs[-1]['per_s']:.0f}/s, "
                f"baseline {baseline_runs[-1]['per_s']:.0f}/s"
            )
    finally:
        for process in raw:
            processes.stop(process)
        baseline.close()
    ours = statistics.median(r["per_s"] for r in ours_runs)
    base = statistics.median(r["per_s"] for r in baseline_runs)
    return {
        "recipients": len(audience),
        "instances": len(numbers),
        "repeats": ARGS.repeats,
        "ours_sends_per_s": round(ours, 1),
        "baseline_sends_per_s": round(base, 1),
        "ratio": round(ours / base, 3),
        "runs_sends_per_s": {
            "ours": [round(r["per_s"], 1) for r in ours_runs],
            "baseline": [round(r["per_s"], 1) for r in baseline_runs],
            "ours_seen_by_simulator": [round(r["seen_per_s"], 1) for r in ours_runs],
            "baseline_seen_by_simulator": [round(r["seen_per_s"], 1) for r in baseline_runs],
        },
        "duplicates": sum(r["duplicates"] for r in ours_runs + baseline_runs),
        "all_final_and_counters_equal": all(
            r["all_final"] and r["counters_equal_rows"] and r["sends"] == len(audience)
            for r in ours_runs
        ),
    }


# --- 2. Pacing -----------------------------------------------------------------------------


def pacing(tenant, simulator, log, contacts) -> dict:
    numbers = make_numbers(tenant, simulator, ["P0", "P1", "P2"], public_url=DEAD_URL)
    tag = tag_of(tenant, "pacing", contacts[: ARGS.recipients])
    campaign = make_campaign(tenant, "pacing", numbers, tag, interval=(1, 2))
    first = len(log)
    services.start(campaign)
    time.sleep(ARGS.pacing_seconds)
    paused_at = time.monotonic()
    services.pause(campaign)
    pause_call = time.monotonic() - paused_at
    time.sleep(5)  # anything still on its way arrives by now
    after = [e["at"] - paused_at for e in list(log)[first:] if e["at"] > paused_at]
    per_number, violations, all_gaps = {}, 0, []
    for instance in numbers:
        times = [e["at"] for e in sends_of(log, first, {instance.evolution_name})]
        gaps = [b - a for a, b in itertools.pairwise(times)]
        violations += sum(gap < campaign.interval_min for gap in gaps)
        all_gaps += gaps
        per_number[instance.name] = {
            "sends": len(times),
            "min_gap_s": round(min(gaps), 3),
            "mean_gap_s": round(statistics.mean(gaps), 3),
            "max_gap_s": round(max(gaps), 3),
        }
    midpoint = (campaign.interval_min + campaign.interval_max) / 2
    means = [v["mean_gap_s"] for v in per_number.values()]
    services.cancel(campaign)
    return {
        "seconds": ARGS.pacing_seconds,
        "interval_s": [campaign.interval_min, campaign.interval_max],
        "per_number": per_number,
        "gaps_below_interval_min": violations,
        "mean_gap_s": round(statistics.mean(all_gaps), 3),
        "worst_mean_off_midpoint_pct": round(
            max(abs(m - midpoint) for m in means) / midpoint * 100, 2
        ),
        "pause_call_s": round(pause_call, 3),
        "sends_after_pause": len(after),
        "last_send_after_pause_s": round(max(after), 3) if after else 0.0,
    }


# --- 3. Fault run --------------------------------------------------------------------------


def fault(tenant, simulator, log, processes, contacts, expected_rate: float) -> dict:
    receiver_port = free_port()
    receiver_url = f"http://127.0.0.1:{receiver_port}"
    processes.start("manage.py", "runserver", "--noreload", f"127.0.0.1:{receiver_port}")
    wait_for_port(receiver_port)
    # Here the webhooks reach a receiver, so the simulator retries them as Evolution does
    # (within the reconciler's 5 s): with one attempt, an echo the receiver failed (500: it ran
    # out of PostgreSQL connections under this load) was lost, and the reconciler sent that
    # recipient again (2 duplicates in 10,000, performance.md).
    simulator.control.configure(webhook_retry_max_attempts=6, webhook_retry_base_ms=200)
    numbers = make_numbers(
        tenant, simulator, [f"F{n}" for n in range(ARGS.instances)], public_url=receiver_url
    )
    names = {i.evolution_name for i in numbers}
    tag = tag_of(tenant, "fault", contacts[: ARGS.fault_recipients])
    campaign = make_campaign(tenant, "fault", numbers, tag)
    consumers = [processes.consumer(), processes.consumer()]

    # Random moments over the run as the throughput run predicts it; the broker's restart
    # at one more such moment.
    chance = random.Random(ARGS.seed)
    expected = ARGS.fault_recipients / max(expected_rate, 1)
    moments = sorted(chance.uniform(0.05, 0.8) * expected for _ in range(ARGS.kills))
    restart_at = chance.uniform(0.1, 0.7) * expected if BROKER else None
    events, tick_errors, broker_down_s, exited_by_themselves = [], [], None, 0
    first = len(log)
    started = time.monotonic()
    services.start(campaign)
    last_tick = started
    while unfinished(campaign):
        now = time.monotonic() - started
        if now > 30 * 60:
            raise RuntimeError(f"fault run stuck: {check_counters(campaign)}")
        if moments and now >= moments[0]:
            moments.pop(0)
            victim = chance.randrange(len(consumers))
            consumers[victim].send_signal(signal.SIGKILL)
            consumers[victim].wait()
            processes.running.remove(consumers[victim])
            consumers[victim] = processes.consumer()
            events.append(f"{now:.1f}s: SIGKILL consumer {victim}, restarted")
            progress(events[-1])
        if restart_at is not None and now >= restart_at:
            restart_at = None
            broker_down_s = BROKER.restart()
            events.append(f"{now:.1f}s: RabbitMQ stopped and started ({broker_down_s:.1f}s down)")
            progress(events[-1])
        for n, process in enumerate(consumers):
            if process.poll() is not None:  # died on its own (e.g. the broker went away)
                exited_by_themselves += 1
                processes.running.remove(process)
                consumers[n] = processes.consumer()
                events.append(f"{now:.1f}s: consumer {n} exited ({process.returncode}), restarted")
                progress(events[-1])
        if time.monotonic() - last_tick > 2:
            # What the minute tick does (django-q2 schedule), more often: reconcile, refill.
            last_tick = time.monotonic()
            try:
                dispatch.tick()
            except BusUnavailable as error:
                progress(f"tick: {error}")
            except DatabaseError as error:  # a deadlock with a consumer: see performance.md
                tick_errors.append(f"{now:.1f}s: {str(error).splitlines()[0]}")
                progress(f"tick failed: {tick_errors[-1]}")
        time.sleep(0.1)
    seconds = time.monotonic() - started
    # The last handler marks the campaign completed just after its record commits, which is
    # when the loop above sees nothing unfinished: give it a moment (the tick would, later).
    completion_wait = wait_for_completion(campaign)
    sends = sends_of(log, first, names)
    result = check_counters(campaign)
    sent_rows = campaign.recipients.filter(status__in=transitions.FUNNEL).count()
    return {
        "recipients": ARGS.fault_recipients,
        "seconds": round(seconds, 1),
        "sends_per_s": round(ARGS.fault_recipients / seconds, 1),
        "events": events,
        "consumers_exited_by_themselves": exited_by_themselves,
        "tick_errors": tick_errors,
        "sends_seen_by_simulator": len(sends),
        "duplicates_on_simulator": duplicates(sends),
        "recipients_sent": sent_rows,
        "completed_after_last_send_s": completion_wait,
        "requeued_by_reconciler": campaign.recipients.filter(
            last_error__startswith="no sign it was sent"
        ).count(),
        **result,
    }


# --- Run -----------------------------------------------------------------------------------


async def delete_queues() -> None:
    async with await aio_pika.connect(settings.RABBITMQ_URL, timeout=10) as amqp:
        channel = await amqp.channel()
        names = QueueNames.of(Queue.CAMPAIGN_SEND, settings.BUS["PREFIX"])
        for name in (names.main, names.retry, names.dead, BASELINE_QUEUE):
            await channel.queue_delete(name)


def bench_tenant() -> Tenant:
    plan = Plan.objects.create(name=RUN, slug=RUN, is_active=False)
    plan.products.set(Product.objects.filter(code=Product.Code.FLOW))
    return Tenant.objects.create(name=RUN, slug=RUN, plan=plan, status="active")


def main() -> None:
    phases = ARGS.only or ["throughput", "pacing", "fault"]
    migrate()
    simulator, log = start_simulator()
    processes = Processes(simulator)
    tenant = bench_tenant()
    result = {"benchmark": "campaign_send", "date": datetime.now(UTC).date().isoformat()}
    begun = time.monotonic()
    try:
        with override_settings(EVOLUTION_API_URL=simulator.url, EVOLUTION_API_KEY=API_KEY):
            count = max(ARGS.recipients, ARGS.fault_recipients if "fault" in phases else 0)
            contacts = make_audience(tenant, count)
            progress(f"{count} contacts; logs in {processes.logs}")
            expected_rate = ARGS.expected_rate
            if {"throughput", "pacing"} & set(phases):
                consumers = [processes.consumer(), processes.consumer()]
                if "throughput" in phases:
                    with asyncio.Runner() as runner:
                        result["throughput"] = throughput(
                            tenant, simulator, log, processes, contacts, runner
                        )
                    expected_rate = result["throughput"]["ours_sends_per_s"]
                    progress(json.dumps(result["throughput"]))
                if "pacing" in phases:
                    progress(f"pacing: 3 numbers at 1-2 s for {ARGS.pacing_seconds:.0f} s")
                    result["pacing"] = pacing(tenant, simulator, log, contacts)
                    progress(json.dumps(result["pacing"]))
                for process in consumers:
                    processes.stop(process)
            if "fault" in phases:
                progress(f"fault run: {ARGS.fault_recipients} recipients")
                result["fault"] = fault(tenant, simulator, log, processes, contacts, expected_rate)
    finally:
        processes.stop_all()
        simulator.stop()
        reset_transport()
        with contextlib.suppress(Exception):
            asyncio.run(delete_queues())
        progress("deleting the bench tenant")
        plan = tenant.plan
        tenant.delete()
        plan.delete()
        progress(f"{time.monotonic() - begun:.0f}s in all")
    result |= {
        "python": platform.python_version(),
        "postgresql": POSTGRES_VERSION,
        "aio_pika": metadata.version("aio-pika"),
        "httpx": metadata.version("httpx"),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
    connection.close()
