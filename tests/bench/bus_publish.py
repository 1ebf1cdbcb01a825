"""Benchmark: what a synchronous bus publish to RabbitMQ costs, against raw aio-pika.

    cd /work/main && .venv/bin/python -m tests.bench.bus_publish [--messages 3000]

Three ways of putting the same ``campaign.send`` messages (persistent, ``mandatory``, one
publisher confirm each) on the same durable queue, measured in one run:

- **ours**: ``bus.publish.publish_now(payload)`` from the main thread, as Django code calls it.
  Each call builds and encodes the envelope, hops to the publisher's background event loop and
  blocks until the broker confirms.
- **baseline, sequential**: raw aio-pika in a plain asyncio loop on the main thread publishing
  the already encoded bodies and awaiting each confirm before the next publish: the best a
  caller that waits for every confirm can hope for.
- **baseline, in flight**: raw aio-pika with ``--in-flight`` publishes (default 50) awaited
  together with ``asyncio.gather``: an upper bound for what batching the publishes would buy.

Each is warmed up first, then the three run interleaved ``--repeats`` times (default 3) and the
median rate counts. The queue is emptied before every measurement and its depth checked after.
Queues are declared through the bus's own ``declare()`` (so their arguments are the real ones)
under a prefix unique to this run, and deleted at the end. Progress goes to stderr; the last
line on stdout is one JSON object with the figures.
"""

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from importlib import metadata

# Our own queues, never those of a test run or a deployment sharing the broker.
os.environ["BUS_PREFIX"] = f"bench-{os.getpid()}-{uuid.uuid4().hex[:8]}."

import django

from tests.bench.database import ensure_database, migrate

ensure_database()
django.setup()

import aio_pika  # noqa: E402
from django.conf import settings  # noqa: E402

from bus.payloads import CampaignSend, Envelope  # noqa: E402
from bus.publish import publish_now  # noqa: E402
from bus.queues import Queue  # noqa: E402
from bus.transports import reset_transport  # noqa: E402
from bus.transports.rabbitmq import ATTEMPT_HEADER, QueueNames, declare  # noqa: E402

NAMES = QueueNames.of(Queue.CAMPAIGN_SEND, settings.BUS["PREFIX"])


def progress(text: str) -> None:
    print(f"[bus_publish] {text}", file=sys.stderr, flush=True)


def bench_tenant():
    """publish() checks that the tenant exists and is active: a real one, deleted at the end."""
    from tenancy.models import Plan, Tenant

    run = settings.BUS["PREFIX"].rstrip(".")
    plan = Plan.objects.create(name=run, slug=run, is_active=False)
    return Tenant.objects.create(name=run, slug=run, plan=plan, status="active")


TENANT_ID = None  # set by main()


def campaign_payloads(count: int) -> list[CampaignSend]:
    """One campaign's messages: same tenant and campaign, a recipient each."""
    tenant_id, campaign_id = TENANT_ID, uuid.uuid4()
    return [
        CampaignSend(tenant_id=tenant_id, campaign_id=campaign_id, recipient_id=uuid.uuid4())
        for _ in range(count)
    ]


def publish_ours(payloads: list[CampaignSend]) -> None:
    for payload in payloads:
        publish_now(payload)


class RawPublisher:
    """Raw aio-pika on its own connection; every coroutine runs on the caller's asyncio.Runner."""

    async def open(self) -> str:
        self.connection = await aio_pika.connect(settings.BUS["URL"], timeout=10)
        self.channel = await self.connection.channel(publisher_confirms=True, on_return_raises=True)
        self.queue = await declare(self.channel, NAMES)
        server = self.connection.transport.connection.server_properties
        return str(server.get("version", "?"))

    async def publish(self, message_id: str, body: bytes) -> None:
        # The same message as the bus's new_message() and publish_confirmed().
        message = aio_pika.Message(
            body,
            message_id=message_id,
            headers={ATTEMPT_HEADER: 1},
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        await self.channel.default_exchange.publish(message, routing_key=NAMES.main, mandatory=True)

    async def sequential(self, bodies: list[tuple[str, bytes]]) -> None:
        for message_id, body in bodies:
            await self.publish(message_id, body)

    async def in_flight(self, bodies: list[tuple[str, bytes]], width: int) -> None:
        for start in range(0, len(bodies), width):
            await asyncio.gather(*(self.publish(*item) for item in bodies[start : start + width]))

    async def depth(self) -> int:
        queue = await self.channel.declare_queue(NAMES.main, passive=True)
        return queue.declaration_result.message_count

    async def purge(self) -> None:
        await self.queue.purge()

    async def close(self) -> None:
        await self.connection.close()


async def delete_queues() -> None:
    """On a connection of its own, so it works whatever state the run ended in."""
    connection = await aio_pika.connect(settings.BUS["URL"], timeout=10)
    async with connection:
        channel = await connection.channel()
        for name in (NAMES.main, NAMES.retry, NAMES.dead):
            await channel.queue_delete(name)


def timed(run, count: int) -> float:
    """Messages per second of ``run()``, which publishes ``count`` messages."""
    start = time.perf_counter()
    run()
    return count / (time.perf_counter() - start)


def benchmark(args: argparse.Namespace, runner: asyncio.Runner) -> dict:
    raw = RawPublisher()
    rabbitmq_version = runner.run(raw.open())
    progress(
        f"broker {settings.BUS['URL'].split('@')[-1]} (RabbitMQ {rabbitmq_version}), "
        f"queue {NAMES.main}"
    )

    payloads = campaign_payloads(args.messages)
    bodies = [(envelope.id, envelope.encode()) for envelope in map(Envelope.wrap, payloads)]
    methods = {
        "ours": lambda: publish_ours(payloads),
        "sequential": lambda: runner.run(raw.sequential(bodies)),
        "in_flight": lambda: runner.run(raw.in_flight(bodies, args.in_flight)),
    }

    warmup = campaign_payloads(args.warmup)
    warmup_bodies = [(envelope.id, envelope.encode()) for envelope in map(Envelope.wrap, warmup)]
    progress(f"warm-up: {args.warmup} messages each way")
    publish_ours(warmup)  # also starts the publisher thread, connects and declares
    runner.run(raw.sequential(warmup_bodies))
    runner.run(raw.in_flight(warmup_bodies, args.in_flight))

    rates: dict[str, list[float]] = {name: [] for name in methods}
    for repeat in range(1, args.repeats + 1):
        for name, run in methods.items():
            runner.run(raw.purge())
            rate = timed(run, args.messages)
            depth = runner.run(raw.depth())
            if depth != args.messages:
                raise RuntimeError(f"{name}: {depth} messages in {NAMES.main}, not {args.messages}")
            rates[name].append(rate)
            progress(
                f"run {repeat}/{args.repeats} {name:<10} {rate:8.0f} msg/s "
                f"({1000 / rate:.3f} ms per message)"
            )
    runner.run(raw.purge())
    runner.run(raw.close())

    ours, sequential, in_flight = (statistics.median(rates[name]) for name in methods)
    return {
        "benchmark": "bus_publish",
        "date": datetime.now(UTC).date().isoformat(),
        "messages": args.messages,
        "repeats": args.repeats,
        "in_flight": args.in_flight,
        "our_msgs_per_s": round(ours),
        "baseline_sequential_msgs_per_s": round(sequential),
        f"baseline_{args.in_flight}_in_flight_msgs_per_s": round(in_flight),
        "ratio_ours_vs_sequential": round(ours / sequential, 3),
        "ratio_ours_vs_in_flight": round(ours / in_flight, 3),
        "our_ms_per_publish": round(1000 / ours, 3),
        "baseline_sequential_ms_per_publish": round(1000 / sequential, 3),
        "runs_msgs_per_s": {
            name: [round(rate) for rate in values] for name, values in rates.items()
        },
        "python": platform.python_version(),
        "aio_pika": metadata.version("aio-pika"),
        "aiormq": metadata.version("aiormq"),
        "rabbitmq": rabbitmq_version,
        "cpus": os.cpu_count(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.bus_publish", description=__doc__)
    parser.add_argument("--messages", type=int, default=3000, help="per measurement (3000)")
    parser.add_argument("--in-flight", type=int, default=50, help="for the upper bound (50)")
    parser.add_argument("--repeats", type=int, default=3, help="median of this many (3)")
    parser.add_argument("--warmup", type=int, default=300, help="messages each way first (300)")
    args = parser.parse_args(argv)
    if min(args.messages, args.in_flight, args.repeats, args.warmup) < 1:
        parser.error("every count must be at least 1")
    if settings.BUS["TRANSPORT"] != "rabbitmq":
        parser.error("needs RABBITMQ_URL (tests.settings sets it to the local broker)")

    global TENANT_ID
    migrate()
    tenant = bench_tenant()
    TENANT_ID = tenant.pk
    started = time.monotonic()
    try:
        with asyncio.Runner() as runner:
            result = benchmark(args, runner)
    finally:
        plan = tenant.plan
        tenant.delete()
        plan.delete()
        reset_transport()  # closes the bus publisher's connection
        asyncio.run(delete_queues())
        progress(
            f"deleted {NAMES.main}, {NAMES.retry}, {NAMES.dead}; "
            f"{time.monotonic() - started:.0f}s in all"
        )
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
