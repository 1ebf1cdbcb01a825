import asyncio
import logging
import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from alrea.workers import keep_database_connections
from bus.errors import BusUnavailable, NoHandler
from bus.queues import Queue
from campaigns import wakeups


class Command(BaseCommand):
    help = (
        "Consume bus queues from RabbitMQ until SIGTERM or SIGINT, then finish the messages in "
        "flight and exit."
    )

    def add_arguments(self, parser):
        parser.add_argument("queues", nargs="*", metavar="queue", help=", ".join(Queue))
        parser.add_argument(
            "--all", dest="all_queues", action="store_true", help="consume every queue"
        )
        parser.add_argument(
            "--prefetch",
            type=int,
            help="messages of each queue handled at once (default: BUS_PREFETCH)",
        )
        parser.add_argument(
            "--drain-timeout",
            type=float,
            help="seconds for handlers in flight to finish on stop (BUS_DRAIN_TIMEOUT_SECONDS)",
        )

    def handle(self, *args, queues, all_queues, prefetch, drain_timeout, **options):
        # The runner imports aio-pika: only load it once we know there is something to run.
        from consumers.runner import Runner, require_handlers, serve

        if settings.BUS["TRANSPORT"] != "rabbitmq":
            raise CommandError(
                "The bus uses the in-process transport (RABBITMQ_URL is not set): it runs "
                "inside the web process and there is nothing to consume."
            )
        selected = self._select(queues, all_queues)
        if prefetch is None:
            prefetch = settings.BUS["PREFETCH"]
        if prefetch < 1:
            raise CommandError("--prefetch must be at least 1.")
        if drain_timeout is None:
            drain_timeout = settings.BUS["DRAIN_TIMEOUT_SECONDS"]
        try:
            require_handlers(selected)
        except NoHandler as exc:
            raise CommandError(str(exc)) from None

        keep_database_connections()
        if Queue.CAMPAIGN_SEND in selected:
            wakeups.listen()
        runner = Runner(selected, prefetch=prefetch, drain_timeout=drain_timeout)
        try:
            abandoned = asyncio.run(serve(runner))
        except BusUnavailable as exc:
            raise CommandError(str(exc)) from None
        if abandoned:
            # Handlers that outlived the drain are on threads the interpreter would wait for at
            # exit; their messages go back to the broker, so leave now and say it failed.
            logging.shutdown()
            os._exit(1)

    def _select(self, names: list[str], all_queues: bool) -> list[Queue]:
        if all_queues == bool(names):
            raise CommandError("Name one or more queues, or pass --all.")
        if all_queues:
            return list(Queue)
        known = {queue.value for queue in Queue}
        unknown = [name for name in names if name not in known]
        if unknown:
            raise CommandError(
                f"Unknown queue {', '.join(unknown)}; the queues are {', '.join(Queue)}."
            )
        return list(dict.fromkeys(Queue(name) for name in names))  # without repeats, in order
