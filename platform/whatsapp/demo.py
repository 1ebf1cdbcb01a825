"""Acme's demo WhatsApp number on the Evolution simulator, with a few customers writing in.

Run by ``seed_demo_whatsapp`` once `.ci/serve` has the simulator, daphne and the webhook worker
up. Safe to repeat: the simulator forgets everything when it restarts and our database does not,
so an instance whose Evolution side is gone is created there again under the same name, and the
demo messages carry fixed WhatsApp ids and are only injected while they are not stored here.
"""

import logging
import time
from dataclasses import dataclass

import httpx
from django.conf import settings

from accounts.models import Department
from chat.models import Message
from tenancy.models import Tenant
from whatsapp import services
from whatsapp.models import ConnectionState, WhatsAppInstance
from whatsapp.simulator import SimulatorControl

logger = logging.getLogger(__name__)

TENANT, DEPARTMENT = "acme", "Sales"
INSTANCE_NAME = "Acme Vendas"
OWN_NUMBER = "5511940028922"
MARIA, JOAO = "5511987654321", "5521998765432"
# In order; WhatsApp timestamps are in seconds, so messages of one chat leave a second apart.
MESSAGES = [
    {"id": "DEMOACME0001", "number": MARIA, "push_name": "Maria Oliveira", "type": "text",
     "text": "Oi! Vocês têm o tênis de corrida azul no 38?"},
    {"id": "DEMOACME0002", "number": MARIA, "from_me": True, "type": "text",
     "text": "Temos sim, Maria! Quer que eu separe um para você?"},
    {"id": "DEMOACME0003", "number": MARIA, "push_name": "Maria Oliveira", "type": "image",
     "caption": "É este aqui, né?"},
    {"id": "DEMOACME0004", "number": MARIA, "push_name": "Maria Oliveira", "type": "text",
     "text": "Quero sim! Posso buscar amanhã à tarde?", "quoted_id": "DEMOACME0002"},
    {"id": "DEMOACME0005", "number": JOAO, "push_name": "João Pereira", "type": "text",
     "text": "Boa tarde, até que horas vocês abrem no sábado?"},
]  # fmt: skip
MESSAGE_GAP_SECONDS = 1.1


class NotTheSimulator(Exception):
    """EVOLUTION_API_URL does not answer the simulator's control API."""


@dataclass
class Seeded:
    instance: WhatsAppInstance
    injected: int
    restored: list[str]


def ensure_on_server(instance: WhatsAppInstance) -> bool:
    """Make sure the server knows ``instance``; True when it had to be created again."""
    try:
        services.refresh_state(instance)
    except services.InstanceError as error:
        if error.code != "InstanceNotFound":
            raise
        services.restore_on_server(instance)
        return True
    return False


def demo_instance() -> WhatsAppInstance:
    tenant = Tenant.objects.get(slug=TENANT)
    found = WhatsAppInstance.objects.for_tenant(tenant).filter(name=INSTANCE_NAME).first()
    if found is not None:
        ensure_on_server(found)
        return found
    sales = Department.objects.for_tenant(tenant).get(name=DEPARTMENT)
    return services.create_instance(tenant, INSTANCE_NAME, default_department=sales)


def _connect(simulator: SimulatorControl, instance: WhatsAppInstance) -> None:
    # The worker stores the result from the connection.update webhooks (see wait_until_ready).
    if instance.state != ConnectionState.OPEN or not instance.phone_number:
        simulator.scan(instance.evolution_name, number=OWN_NUMBER, profile_name=INSTANCE_NAME)


def _inject(simulator: SimulatorControl, instance: WhatsAppInstance) -> int:
    stored = set(
        Message.objects.filter(
            conversation__instance=instance, provider_id__in=[m["id"] for m in MESSAGES]
        ).values_list("provider_id", flat=True)
    )
    missing = [spec for spec in MESSAGES if spec["id"] not in stored]
    for n, spec in enumerate(missing):
        if n:
            time.sleep(MESSAGE_GAP_SECONDS)
        simulator.inbound(instance.evolution_name, **spec)
    return len(missing)


def restore_lost_instances(exclude: WhatsAppInstance) -> list[str]:
    """Instances made on the default server in earlier runs: created again on the fresh
    simulator (which connects them after its auto-connect delay)."""
    restored = []
    for instance in WhatsAppInstance.objects.filter(server=None).exclude(pk=exclude.pk):
        try:
            if ensure_on_server(instance):
                restored.append(instance.name)
        except services.InstanceError as error:
            logger.warning("could not restore instance %s: %s", instance.pk, error.message)
    return restored


def seed() -> Seeded:
    simulator = SimulatorControl(settings.EVOLUTION_API_URL, settings.EVOLUTION_API_KEY)
    try:
        try:
            simulator.config()
        except httpx.HTTPError as error:
            raise NotTheSimulator(
                f"{settings.EVOLUTION_API_URL} does not answer the simulator's control API"
                f" ({error})"
            ) from error
        instance = demo_instance()
        _connect(simulator, instance)
        injected = _inject(simulator, instance)
    finally:
        simulator.close()
    return Seeded(instance, injected, restore_lost_instances(exclude=instance))


def wait_until_ready(instance: WhatsAppInstance, timeout: float) -> bool:
    """Whether the worker has applied the demo's webhooks (the number connected, every demo
    message stored) within ``timeout`` seconds; ``instance`` is refreshed either way."""
    deadline = time.monotonic() + timeout
    ids = [m["id"] for m in MESSAGES]
    stored = Message.objects.filter(conversation__instance=instance, provider_id__in=ids)
    while True:
        instance.refresh_from_db()
        if instance.state == ConnectionState.OPEN and stored.count() == len(ids):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.25)
