"""State changes of WhatsApp instances, shared by the admin, the API and the webhook receiver.

Every call to Evolution goes through ``_evolution``, which turns the client's typed errors into
``InstanceError``: a ValidationError whose message a user can act on.
"""

import logging
import uuid
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api import event_data, outbound
from chat import live as chat_live
from notifications import events as notification_events
from tenancy import limits
from whatsapp import evolution, health
from whatsapp.models import (
    ConnectionLogEntry,
    ConnectionState,
    WhatsAppInstance,
    new_webhook_secret,
)
from whatsapp.servers import client_for, server_for_tenant
from whatsapp.webhook_config import webhook_settings

logger = logging.getLogger(__name__)


class InstanceError(ValidationError):
    """Evolution refused or failed; the message says what happened and what to do."""


def user_message(error: evolution.EvolutionError) -> str:
    if isinstance(error, evolution.InstanceNotFound):
        return _(
            "The WhatsApp server no longer has this instance. Delete it here and create a new one."
        )
    if isinstance(error, evolution.Unauthorized):
        return _("The WhatsApp server refused our key. Ask platform support to check it.")
    if isinstance(error, evolution.InstanceNameInUse):
        return _("The WhatsApp server already has an instance with this name. Try again.")
    if isinstance(error, evolution.Disconnected):
        return _("This number is not connected to WhatsApp. Scan the QR code to connect it.")
    if isinstance(error, evolution.NotOnWhatsApp):
        return _("%(number)s is not on WhatsApp.") % {"number": error.number or error.jid}
    if isinstance(error, evolution.Timeout):
        return _("The WhatsApp server took too long to answer. Try again in a moment.")
    if isinstance(error, evolution.TransportError):
        return _("The WhatsApp server cannot be reached right now. Try again in a moment.")
    if isinstance(error, evolution.ValidationError):
        return _("The WhatsApp server refused the request: %(reason)s") % {"reason": error.message}
    return _("The WhatsApp server failed (%(reason)s). Try again in a moment.") % {
        "reason": error.message
    }


def _evolution(instance: WhatsAppInstance, call: Callable, *, tolerate=()):
    """Run ``call(client)`` against the instance's server. Errors listed in ``tolerate`` are
    returned instead of raised; the others become InstanceError."""
    try:
        with client_for(instance) as client:
            return call(client)
    except tolerate as error:
        return error
    except evolution.EvolutionError as error:
        logger.warning(
            "Evolution %s on instance %s: %s",
            type(error).__name__,
            instance.pk,
            error,
            extra={"tenant_id": instance.tenant_id, "instance_id": instance.pk},
        )
        raise InstanceError(user_message(error), code=type(error).__name__) from error


def _actor(by) -> str:
    return str(by) if by is not None else _("the system")


def _log(instance: WhatsAppInstance, detail: str) -> None:
    """A log line that is not a state change (creation, webhook rotation)."""
    ConnectionLogEntry.objects.create(
        tenant_id=instance.tenant_id, instance=instance, state=instance.state, detail=detail[:255]
    )


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

    Updates the row (and ``instance`` in memory); writes a ConnectionLogEntry and re-scores
    the instance's health only when the state really changes, so repeated reports of one state
    log nothing. ``open`` clears the QR code. The profile fields are stored when given
    (``open`` carries them). Returns whether the state changed.
    """
    state = ConnectionState(state)
    now = timezone.now()
    with transaction.atomic():
        # Row lock: a webhook and a poll reporting at once must not both log the change.
        previous = (
            WhatsAppInstance.objects.select_for_update(no_key=True)
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
        if changed:
            chat_live.instance_changed(instance.pk)  # the chat page's banner
        if changed and previous == ConnectionState.OPEN and state == ConnectionState.CLOSE:
            notification_events.instance_disconnected(instance)
    for name, value in fields.items():
        setattr(instance, name, value)
    if changed:
        health.rescore(instance)
        outbound.emit(
            instance.tenant_id,
            "instance.connection",
            lambda: event_data.instance(instance, previous),
        )
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


# --- creation and removal -------------------------------------------------------------------
def new_evolution_name() -> str:
    return f"alrea-{uuid.uuid4().hex[:12]}"


def create_instance(
    tenant,
    name: str,
    *,
    default_department=None,
    daily_send_limit: int | None = None,
    by=None,
) -> WhatsAppInstance:
    """Create the instance on Evolution (with our webhook) and here; returns it with its QR.

    The row is committed before Evolution is called: Evolution posts ``qrcode.updated`` while
    the create call still waits for its QR, and the receiver must find the row. If Evolution
    fails, the row goes away again.
    """
    if default_department is not None and default_department.tenant_id != tenant.pk:
        raise ValidationError(_("Choose a department of the same company."), code="cross_tenant")
    with transaction.atomic():
        limits.require_capacity(limits.lock_tenant(tenant), limits.Resource.INSTANCES)
        instance = WhatsAppInstance(
            tenant=tenant,
            name=name,
            evolution_name=new_evolution_name(),
            default_department=default_department,
            server=server_for_tenant(tenant).server,
        )
        if daily_send_limit is not None:
            instance.daily_send_limit = daily_send_limit
        instance.full_clean()
        instance.save()
        _log(instance, _("Created by %(user)s") % {"user": _actor(by)})
    try:
        with client_for(instance) as client:
            created = client.create_instance(
                instance.evolution_name, webhook=webhook_settings(instance)
            )
    except evolution.EvolutionError as error:
        _forget_failed_creation(instance, error)
        raise InstanceError(user_message(error), code=type(error).__name__) from error
    _keep_created(instance, created)
    logger.info(
        "instance %s created as %s",
        instance.pk,
        instance.evolution_name,
        extra={"tenant_id": tenant.pk, "instance_id": instance.pk},
    )
    return instance


def _keep_created(instance: WhatsAppInstance, created: evolution.CreatedInstance) -> None:
    """What Evolution answered to /instance/create: the token, its id, the first QR, the state."""
    instance.token = created.token
    instance.evolution_id = created.id
    instance.save(update_fields=["token", "evolution_id", "updated_at"])
    if created.qr is not None:
        record_qr(instance, created.qr.base64, created.qr.pairing_code or "")
    record_state(instance, created.status or ConnectionState.CLOSE)


def restore_on_server(instance: WhatsAppInstance, *, by=None) -> None:
    """Create the instance again on its Evolution server, under the same name, after that server
    lost it (wiped, or the simulator restarted). Our row and history stay; the number has to be
    scanned again."""
    created = _evolution(
        instance,
        lambda client: client.create_instance(
            instance.evolution_name, webhook=webhook_settings(instance)
        ),
    )
    _keep_created(instance, created)
    _log(instance, _("Created again on the WhatsApp server by %(user)s") % {"user": _actor(by)})
    logger.info(
        "instance %s restored as %s",
        instance.pk,
        instance.evolution_name,
        extra={"tenant_id": instance.tenant_id, "instance_id": instance.pk},
    )


def _forget_failed_creation(instance: WhatsAppInstance, error: evolution.EvolutionError) -> None:
    logger.warning(
        "Evolution refused to create instance %s: %s",
        instance.evolution_name,
        error,
        extra={"tenant_id": instance.tenant_id},
    )
    if isinstance(error, evolution.ServerError | evolution.TransportError):
        # The server may have created it before failing: best effort, so no orphan is left.
        try:
            with client_for(instance) as client:
                client.delete_instance(instance.evolution_name)
        except evolution.EvolutionError:
            pass
    instance.delete()


def delete_instance(instance: WhatsAppInstance, *, by=None) -> None:
    """Delete on Evolution (which logs the number out), then here. Evolution's 404 means the
    instance is already gone there: ours goes too."""
    _evolution(
        instance,
        lambda client: client.delete_instance(instance.evolution_name),
        tolerate=evolution.InstanceNotFound,
    )
    logger.info(
        "instance %s (%s) deleted by %s",
        instance.pk,
        instance.evolution_name,
        _actor(by),
        extra={"tenant_id": instance.tenant_id, "instance_id": instance.pk},
    )
    instance.delete()


# --- connection -----------------------------------------------------------------------------
def connect(instance: WhatsAppInstance) -> evolution.QRCode | None:
    """Start (or continue) a connection: returns the QR code to scan, None when connected."""
    result = _evolution(instance, lambda client: client.connect(instance.evolution_name))
    if isinstance(result, evolution.InstanceState):
        _record_reported(instance, result.state)
        return None
    if result.base64:
        record_qr(instance, result.base64, result.pairing_code or "")
    record_state(instance, ConnectionState.CONNECTING)
    return result


refresh_qr = connect


def refresh_state(instance: WhatsAppInstance) -> str:
    """Ask Evolution for the connection state and store it; returns the state."""
    reported = _evolution(instance, lambda client: client.connection_state(instance.evolution_name))
    _record_reported(instance, reported.state)
    return instance.state


def _record_reported(instance: WhatsAppInstance, state: str | None) -> None:
    # No state: the server knows the instance but has not loaded it, so it is not connected.
    state = state or ConnectionState.CLOSE
    profile = {}
    if state == ConnectionState.OPEN and not instance.phone_number:
        # Polls do not carry the number and profile; the instance listing does.
        found = _evolution(instance, lambda client: client.fetch_instances(instance.evolution_name))
        if found:
            profile = {
                "phone_number": evolution.jid_to_e164(found[0].owner_jid or ""),
                "profile_name": found[0].profile_name or "",
                "profile_picture_url": found[0].profile_picture_url or "",
            }
    record_state(instance, state, **profile)


def logout(instance: WhatsAppInstance, *, by=None) -> None:
    """Disconnect the number; the instance stays and can be connected again with a new QR."""
    _evolution(
        instance,
        lambda client: client.logout(instance.evolution_name),
        tolerate=evolution.Disconnected,  # "is not connected": already logged out
    )
    record_state(
        instance, ConnectionState.CLOSE, detail=_("Logged out by %(user)s") % {"user": _actor(by)}
    )


def reconfigure_webhook(instance: WhatsAppInstance, *, by=None) -> None:
    """Give the instance a new webhook secret and send Evolution the whole webhook again."""
    previous, instance.webhook_secret = instance.webhook_secret, new_webhook_secret()
    # Evolution first, then our row: if Evolution refuses, the old secret stays valid on both
    # sides. Events posted in the moment between the two writes are refused and retried by
    # Evolution only if the receiver answers them with a retryable status.
    try:
        _evolution(
            instance,
            lambda client: client.set_webhook(instance.evolution_name, webhook_settings(instance)),
        )
    except InstanceError:
        instance.webhook_secret = previous
        raise
    instance.save(update_fields=["webhook_secret", "updated_at"])
    _log(instance, _("Webhook reconfigured by %(user)s") % {"user": _actor(by)})
