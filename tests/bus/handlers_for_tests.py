"""The chat.send handler of the consumer processes that the tests start.

BUS_TEST_MODE picks its behaviour and BUS_TEST_RECORD names the file where it appends one JSON
line per event, which the test then reads:

- ``record``: record "handled".
- ``die``: record "started", then kill this process before the message is acknowledged.
- ``slow``: record "started", sleep BUS_TEST_SLOW_SECONDS, record "handled".

BUS_TEST_UNHANDLED (comma-separated queue names) takes those queues' real handlers away, as if
their module were missing, for tests of what happens to a queue nobody handles.
"""

import json
import os
import signal
import time

from bus.handlers import handles, unregister
from bus.queues import Queue

unregister(Queue.CHAT_SEND)  # in place of the real handler (consumers.chat)
for name in filter(None, os.environ.get("BUS_TEST_UNHANDLED", "").split(",")):
    unregister(Queue(name))


def _record(event, context):
    line = {
        "event": event,
        "message_id": context.message_id,
        "attempt": context.attempt,
        "pid": os.getpid(),
        "at": time.time(),
    }
    with open(os.environ["BUS_TEST_RECORD"], "a") as file:
        file.write(json.dumps(line) + "\n")


@handles(Queue.CHAT_SEND)
def chat_send(payload, context):
    mode = os.environ["BUS_TEST_MODE"]
    if mode in ("die", "slow"):
        _record("started", context)
    if mode == "die":
        os.kill(os.getpid(), signal.SIGKILL)
    if mode == "slow":
        time.sleep(float(os.environ["BUS_TEST_SLOW_SECONDS"]))
    _record("handled", context)
