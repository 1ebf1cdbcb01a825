"""A TCP proxy in front of the broker, so a test can stall the broker or make it vanish."""

import contextlib
import socket
import threading
from urllib.parse import urlsplit


class BrokerProxy:
    """Forwards 127.0.0.1:<port> to ``upstream``.

    close() drops every connection made through it and refuses new ones, which is what a client
    sees when the broker goes down; pause() holds back what the broker sends (confirms,
    deliveries) until resume(), which is what a client sees when the broker stalls.
    """

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._closed = threading.Event()
        self._flowing = threading.Event()
        self._flowing.set()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _address = self._listener.accept()
            except TimeoutError:
                continue
            client.settimeout(None)
            server = socket.create_connection(self.upstream)
            self._sockets += [client, server]
            for source, target, gate in ((client, server, None), (server, client, self._flowing)):
                threading.Thread(target=_pipe, args=(source, target, gate), daemon=True).start()
        self._listener.close()

    def url(self, broker_url: str) -> str:
        """``broker_url`` (amqp://user:password@host:port/vhost) through this proxy."""
        parts = urlsplit(broker_url)
        netloc = f"{parts.username}:{parts.password}@127.0.0.1:{self.port}"
        return parts._replace(netloc=netloc).geturl()

    def pause(self) -> None:
        self._flowing.clear()

    def resume(self) -> None:
        self._flowing.set()

    def close(self) -> None:
        self._closed.set()
        self._flowing.set()
        self._thread.join(5)
        for sock in self._sockets:
            with contextlib.suppress(OSError):  # the other side may have closed it already
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


def _pipe(source: socket.socket, target: socket.socket, gate: threading.Event | None) -> None:
    try:
        while data := source.recv(65536):
            if gate is not None:
                gate.wait()
            target.sendall(data)
    except OSError:
        pass  # closed by BrokerProxy.close()
