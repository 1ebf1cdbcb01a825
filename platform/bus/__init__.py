"""The queue contract (docs/bus.md).

Import from the submodules: ``bus.queues.Queue``, the payload types in ``bus.payloads``,
``bus.publish.publish`` and ``bus.handlers.handles``. This package imports nothing itself because
Django imports it while loading apps, and the RabbitMQ transport pulls in aio-pika, which only
processes that talk to the broker need.
"""
