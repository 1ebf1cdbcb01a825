"""A tiny HTTP receiver in a thread that records webhook posts and can be told to fail."""

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class CapturedRequest:
    path: str
    headers: dict[str, str]  # lower-case names
    body: dict

    @property
    def event(self) -> str:
        return self.body.get("event")


class WebhookCapture:
    def __init__(self):
        capture = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                status = capture._record(self.path, self.headers, raw)
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):  # keep test output quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.clear()

    def start(self) -> "WebhookCapture":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def clear(self) -> None:
        with getattr(self, "_lock", threading.Lock()):
            self.requests: list[CapturedRequest] = []
            self.answered: list[int] = []  # the status given to each request, in order
            self._failures: list[int] = []

    def fail_next(self, times: int, status: int = 500) -> None:
        """Answer the next ``times`` requests with ``status`` instead of 200."""
        with self._lock:
            self._failures.extend([status] * times)

    def _record(self, path, headers, raw: bytes) -> int:
        with self._lock:
            body = json.loads(raw) if raw else {}
            self.requests.append(
                CapturedRequest(path, {k.lower(): v for k, v in headers.items()}, body)
            )
            status = self._failures.pop(0) if self._failures else 200
            self.answered.append(status)
            return status

    def events(self, name: str | None = None) -> list[CapturedRequest]:
        with self._lock:
            return [r for r in self.requests if name is None or r.event == name]

    def wait_for(self, predicate, *, count: int = 1, timeout: float = 5.0):
        """Wait until ``count`` recorded requests satisfy ``predicate``; return them."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                matched = [r for r in self.requests if predicate(r)]
            if len(matched) >= count:
                return matched
            if time.monotonic() > deadline:
                got = [r.event for r in self.requests]
                raise AssertionError(f"waited for {count} matching webhooks; received {got}")
            time.sleep(0.01)

    def wait_for_event(self, name: str, *, count: int = 1, timeout: float = 5.0):
        return self.wait_for(lambda r: r.event == name, count=count, timeout=timeout)
