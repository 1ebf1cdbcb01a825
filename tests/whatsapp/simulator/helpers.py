"""Small helpers shared by the simulator tests."""

import httpx

BAILEYS = "WHATSAPP-BAILEYS"


class Api:
    """A bare HTTP client for the simulator, speaking as ``key``."""

    def __init__(self, simulator, key: str | None = None):
        self.sim = simulator
        key = simulator.api_key if key is None else key
        self.http = httpx.Client(base_url=simulator.url, headers={"apikey": key}, timeout=10)

    def __getattr__(self, name):
        return getattr(self.http, name)

    def create(self, name="shop", **body):
        body = {"instanceName": name, "integration": BAILEYS, **body}
        return self.http.post("/instance/create", json=body)

    def connected(self, name="shop", number="5511900001111", webhook=None, **body):
        """An open instance (optionally with a webhook object); returns the create answer."""
        if webhook is not None:
            body["webhook"] = webhook
        created = self.create(name, **body)
        assert created.status_code == 201, created.text
        self.sim.control.scan(name, number=number, profile_name="Loja Exemplo")
        return created.json()


def webhook_object(url, **extra):
    return {"url": url, "byEvents": False, "base64": False, "events": [], **extra}
