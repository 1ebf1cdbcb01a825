"""The simulator's webhooks, recorded by ``webhook_capture``, posted to our receiver as Evolution
posts them (the instance's secret header) and applied as the worker applies them."""

from tests.whatsapp.webhooks.conftest import Evolution

CUSTOMER = "5511987654321"
CUSTOMER_JID = f"{CUSTOMER}@s.whatsapp.net"


def seen(capture, event: str) -> int:
    """How many ``event`` webhooks the simulator has posted so far (mark before an action)."""
    return len(capture.events(event))


def forward(capture, instance, event: str, *, after: int) -> str:
    """Post the simulator's next ``event`` webhook after the first ``after`` ones; returns what
    became of it ("processed", "ignored"...)."""
    captured = capture.wait_for_event(event, count=after + 1)[after]
    return Evolution().send(instance, captured.body)
