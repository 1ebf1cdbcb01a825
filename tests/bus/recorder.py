import threading
import time
from dataclasses import dataclass

from bus.handlers import DeliveryContext
from bus.payloads import Payload


@dataclass(frozen=True)
class Call:
    payload: Payload
    context: DeliveryContext
    thread: str
    at: float


class Recorder:
    """A handler that records its calls and raises on the first ``failures`` of them."""

    def __init__(self, failures: int = 0):
        self.failures = failures
        self.calls: list[Call] = []
        self._cond = threading.Condition()

    def __call__(self, payload, context):
        with self._cond:
            self.calls.append(
                Call(payload, context, threading.current_thread().name, time.monotonic())
            )
            count = len(self.calls)
            self._cond.notify_all()
        if count <= self.failures:
            raise RuntimeError(f"failure number {count}")

    def wait_for_calls(self, count: int, timeout: float = 10) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: len(self.calls) >= count, timeout)

    @property
    def attempts(self) -> list[int]:
        return [call.context.attempt for call in self.calls]
