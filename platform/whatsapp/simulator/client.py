"""``SimulatorControl``: one method per action of the simulator's control API (/_simulator/)."""

from typing import Any

import httpx


class SimulatorControl:
    def __init__(self, url: str, api_key: str, timeout: float = 10.0):
        self._http = httpx.Client(
            base_url=url.rstrip("/") + "/_simulator", headers={"apikey": api_key}, timeout=timeout
        )

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, path, **kwargs)
        response.raise_for_status()
        return response.json()

    def config(self) -> dict:
        return self._call("GET", "/config")

    def configure(self, **switches: Any) -> dict:
        """Change switches (see ``Switches``); returns them all."""
        return self._call("POST", "/config", json=switches)

    def reset(self) -> None:
        """Forget instances, messages and deliveries; restore the start-up switches."""
        self._call("POST", "/reset")

    def scan(self, instance: str, number: str | None = None, profile_name: str | None = None):
        """Connect ``instance`` now, as if its QR had been scanned by ``number``."""
        body = {"number": number, "profile_name": profile_name}
        return self._call("POST", f"/instances/{instance}/scan", json=body)

    def disconnect(self, instance: str, status_reason: int = 401) -> dict:
        """401/402/403/406 close the session; other codes reconnect silently."""
        return self._call(
            "POST", f"/instances/{instance}/disconnect", json={"status_reason": status_reason}
        )

    def inbound(self, instance: str, type: str = "text", **fields: Any) -> dict:
        """A customer's message (fields as in docs/evolution-simulator.md); returns its object."""
        return self._call("POST", f"/instances/{instance}/inbound", json={"type": type, **fields})

    def delete_message(self, instance: str, message_id: str) -> dict:
        """The author deletes ``message_id`` for everyone."""
        return self._call("POST", f"/instances/{instance}/delete-message", json={"id": message_id})

    def presence(self, instance: str, number: str, presence: str = "composing") -> dict:
        body = {"number": number, "presence": presence}
        return self._call("POST", f"/instances/{instance}/presence", json=body)

    def sent(self, instance: str | None = None) -> list[dict]:
        """Message objects sent through the API, oldest first."""
        return self._call("GET", "/sent", params={"instance": instance} if instance else None)

    def set_not_on_whatsapp(self, numbers: list[str]) -> list[str]:
        return self._call("PUT", "/not-on-whatsapp", json={"numbers": numbers})

    def deliveries(self) -> list[dict]:
        """Every webhook attempt: event, url, attempt, status (or error)."""
        return self._call("GET", "/deliveries")

    def close(self) -> None:
        self._http.close()
