"""Run the simulator with uvicorn in a background thread (tests, embedded demo runs)."""

import socket
import threading
import time

import uvicorn

from .app import create_app
from .client import SimulatorControl
from .state import Switches


class BackgroundSimulator:
    """A simulator on a free port of ``host``; ``.url``, ``.api_key``, ``.control``."""

    def __init__(self, api_key: str, host: str = "127.0.0.1", switches: Switches | None = None):
        self.api_key = api_key
        # Bind first and hand the socket to uvicorn: no window for another process to take it.
        # IPPROTO_TCP named: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and
        # without it each keep-alive answer waited 40 ms for the client's delayed ACK (Nagle).
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.bind((host, 0))
        self.url = f"http://{host}:{self._socket.getsockname()[1]}"
        self.app = create_app(api_key, server_url=self.url, switches=switches)
        config = uvicorn.Config(self.app, log_level="warning", lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )
        self.control = SimulatorControl(self.url, api_key)

    def start(self, timeout: float = 10.0) -> "BackgroundSimulator":
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the Evolution simulator did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.control.close()
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()
