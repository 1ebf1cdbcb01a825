"""Queue consumers: the handlers of each queue family and the process that runs them.

Each module listed in HANDLER_MODULES registers its handlers with ``bus.handlers.handles`` when
imported; the runner (and the in-process transport) import them all. ``python manage.py consume
<queue>...`` refuses to start for a queue that no module handles.
"""

# One module per queue family.
HANDLER_MODULES: list[str] = [
    "consumers.campaigns",
    "consumers.chat",
    "consumers.media",
    "consumers.webhooks",
]
