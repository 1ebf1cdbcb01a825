"""State changes of WhatsApp instances, shared by the admin, the API and the webhook receiver."""

import logging

from django.db import transaction
from django.utils import timezone

from whatsapp.models import ConnectionLogEntry, ConnectionState, WhatsAppInstance

logger = logging.getLogger(__name__)


def record_state(
    instance: WhatsAppInstance,
    state: str,
    reason: int | None = None,
    detail: str = "",
    *,
    phone_number: str | None = None,
    profile_name: str | None = None,
    profile_picture_url: str | None = None,
) -> bool:
    """Store a connection state learnt from Evolution (a call or a ``connection.update``).

    Updates the row (and ``instance`` in memory); writes a ConnectionLogEntry only when the
    state really changes, so repeated reports of one state log nothing. ``open`` clears the QR
    code. The profile fields are stored when given (``open`` carries them). Returns whether the
    state changed.
    """
    state = ConnectionState(state)
    now = timezone.now()
    with transaction.atomic():
        # Row lock: a webhook and a poll reporting at once must not both log the change.
        previous = (
            WhatsAppInstance.objects.select_for_update()
            .values_list("state", flat=True)
            .get(pk=instance.pk)
        )
        changed = previous != state
        fields = {"updated_at": now}
        if reason is not None or changed:
            fields["state_reason"] = reason
        if changed:
            fields.update(state=state, state_changed_at=now)
        if state == ConnectionState.OPEN:
            fields.update(qr_code="", pairing_code="")
        for name, value in (
            ("phone_number", phone_number),
            ("profile_name", profile_name),
            ("profile_picture_url", profile_picture_url),
        ):
            if value is not None:
                fields[name] = value
        WhatsAppInstance.objects.filter(pk=instance.pk).update(**fields)
        if changed:
            ConnectionLogEntry.objects.create(
                tenant_id=instance.tenant_id,
                instance=instance,
                at=now,
                state=state,
                reason=reason,
                detail=detail[:255],
            )
    for name, value in fields.items():
        setattr(instance, name, value)
    if changed:
        logger.info(
            "instance %s: %s -> %s (%s)",
            instance.pk,
            previous,
            state,
            reason,
            extra={"tenant_id": instance.tenant_id, "instance_id": instance.pk},
        )
    return changed


def record_qr(instance: WhatsAppInstance, qr_code: str, pairing_code: str = "") -> None:
    """Store the latest QR code (a data: URI image) from a ``connect`` or ``qrcode.updated``."""
    now = timezone.now()
    fields = {
        "qr_code": qr_code or "",
        "pairing_code": pairing_code or "",
        "qr_updated_at": now,
        "updated_at": now,
    }
    WhatsAppInstance.objects.filter(pk=instance.pk).update(**fields)
    for name, value in fields.items():
        setattr(instance, name, value)
