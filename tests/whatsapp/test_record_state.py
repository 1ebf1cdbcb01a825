"""services.record_state: one helper for every report of a connection state."""

from whatsapp import services
from whatsapp.models import ConnectionLogEntry, ConnectionState, WhatsAppInstance


def _instance(tenant, **fields):
    return WhatsAppInstance.objects.create(
        tenant=tenant, name="Vendas", evolution_name="alrea-rs1", **fields
    )


def test_a_change_of_state_is_stored_and_logged_once(cast):
    instance = _instance(cast.acme, qr_code="data:image/png;base64,AAAA")

    assert services.record_state(
        instance,
        ConnectionState.OPEN,
        200,
        "scanned",
        phone_number="+5511900001111",
        profile_name="Loja",
    )
    assert not services.record_state(instance, ConnectionState.OPEN, 200)

    stored = WhatsAppInstance.objects.get(pk=instance.pk)
    assert (stored.state, stored.state_reason, stored.phone_number, stored.profile_name) == (
        "open",
        200,
        "+5511900001111",
        "Loja",
    )
    assert stored.qr_code == "" and stored.state_changed_at is not None
    assert instance.state == "open"  # the caller's object follows
    assert stored.health_score == 100  # re-scored: only an open number can send
    log = list(ConnectionLogEntry.objects.filter(instance=instance))
    assert [(e.state, e.reason, e.detail, e.tenant_id) for e in log] == [
        ("open", 200, "scanned", cast.acme.pk)
    ]


def test_each_transition_gets_its_own_entry(cast):
    instance = _instance(cast.acme)
    for state in ("connecting", "open", "close"):
        services.record_state(instance, state, 401 if state == "close" else 200)
    states = ConnectionLogEntry.objects.filter(instance=instance).order_by("at")
    assert [e.state for e in states] == ["connecting", "open", "close"]
    instance.refresh_from_db()
    assert (instance.state_reason, instance.health_score) == (401, 0)
