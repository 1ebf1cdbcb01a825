"""Demo campaigns of Acme: one finished with a realistic funnel, one draft ready to start.

The finished one is history written directly (recipients already in their final states, with
timestamps), its counters set to exactly the rows written. The draft sends from Acme Vendas, the
simulator's demo number, once ``seed_demo_whatsapp`` made it (running either command again
attaches it). Fixed seed and fixed names: running it again adds nothing.
"""

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Department, Role
from campaigns.models import Campaign, CampaignEvent, CampaignMessage, CampaignRecipient
from contacts.models import Contact, Tag
from whatsapp.models import WhatsAppInstance

R = CampaignRecipient.Status
TENANT = "acme"
DEPARTMENT = "Sales"
INSTANCE_NAME = "Acme Vendas"  # whatsapp.demo.INSTANCE_NAME
FINISHED, DRAFT = "Black Friday 2025", "Natal 2026"
FINISHED_AUDIENCE = 600
# Message content of the demo (Portuguese for the customers), not interface text.
BODIES = {
    FINISHED: [
        "{{saudacao}}, {{primeiro_nome}}! A Black Friday da Acme começou: até 50% off. "
        "Responda SAIR para não receber mais.",
        "Oi {{primeiro_nome}}, só hoje: frete grátis em toda a loja. Responda SAIR para sair.",
    ],
    DRAFT: [
        "{{saudacao}}, {{primeiro_nome}}! O Natal chegou na Acme: presentes com 20% off.",
        "Oi {{primeiro_nome}}, {{saudacao}}! Separe sua lista de Natal: temos novidades.",
    ],
}


def _outcome(rng: random.Random) -> tuple[str, str]:
    """(final status, skip reason) with the proportions of a typical promotion."""
    roll = rng.random()
    if roll < 0.03:
        return R.SKIPPED, CampaignRecipient.SkipReason.NOT_ON_WHATSAPP
    if roll < 0.06:
        return R.FAILED, ""
    roll = rng.random()
    if roll < 0.06:
        return R.SENT, ""
    if roll < 0.35:
        return R.DELIVERED, ""
    return (R.REPLIED, "") if rng.random() < 0.2 else (R.READ, "")


def _stamps(status: str, sent_at, rng: random.Random) -> dict:
    """The timestamps of every step a recipient in ``status`` went through."""
    if status == R.SKIPPED:
        return {"skipped_at": sent_at}
    if status == R.FAILED:
        return {"failed_at": sent_at}
    stamps = {"queued_at": sent_at - timedelta(seconds=5), "sent_at": sent_at}
    moment = sent_at
    for step, field, spread in (
        (R.DELIVERED, "delivered_at", 20),
        (R.READ, "read_at", 3600),
        (R.REPLIED, "replied_at", 1800),
    ):
        if R.values.index(status) < R.values.index(step):
            break
        moment += timedelta(seconds=rng.randint(2, spread))
        stamps[field] = moment
    return stamps


def _variations(campaign: Campaign) -> list[CampaignMessage]:
    return [
        CampaignMessage.objects.create(
            tenant_id=campaign.tenant_id, campaign=campaign, body=body, order=order
        )
        for order, body in enumerate(BODIES[campaign.name])
    ]


def _finished(tenant, department, instance, author) -> Campaign:
    rng = random.Random(FINISHED)
    started = timezone.now() - timedelta(days=9)
    campaign = Campaign.objects.create(
        tenant=tenant,
        name=FINISHED,
        description="Promoção de Black Friday para a base de clientes.",
        department=department,
        created_by=author,
        interval_min=20,
        interval_max=60,
        status=Campaign.Status.COMPLETED,
        started_at=started,
    )
    if instance is not None:
        campaign.instances.set([instance])
    variations = _variations(campaign)
    contacts = (
        Contact.objects.for_tenant(tenant)
        .filter(opted_out=False)
        .order_by("created_at", "pk")[:FINISHED_AUDIENCE]
    )
    rows, counts = [], dict.fromkeys(R.values, 0)
    sent_at = started
    for n, contact in enumerate(contacts):
        status, reason = _outcome(rng)
        sent_at += timedelta(seconds=rng.randint(20, 60))
        variation = variations[n % len(variations)]
        went_out = status not in (R.SKIPPED, R.FAILED)
        rows.append(
            CampaignRecipient(
                tenant=tenant,
                campaign=campaign,
                contact=contact,
                status=status,
                skip_reason=reason,
                instance=instance if went_out else None,
                variation=variation if status != R.SKIPPED else None,
                provider_id=f"DEMOBF{n:06d}" if went_out else "",
                attempts=0 if status == R.SKIPPED else (3 if status == R.FAILED else 1),
                last_error="Timeout" if status == R.FAILED else "",
                **_stamps(status, sent_at, rng),
            )
        )
        counts[status] += 1
    CampaignRecipient.objects.bulk_create(rows, batch_size=1000)
    for variation in variations:
        variation.times_used = sum(1 for row in rows if row.variation_id == variation.pk)
        variation.save(update_fields=["times_used"])
    Campaign.objects.filter(pk=campaign.pk).update(
        finished_at=sent_at + timedelta(minutes=1),
        **{f"folded_{status}": n for status, n in counts.items()},
    )
    for kind, at in (
        (CampaignEvent.Kind.STARTED, started),
        (CampaignEvent.Kind.COMPLETED, sent_at),
    ):
        event = CampaignEvent.objects.create(
            tenant=tenant, campaign=campaign, kind=kind, actor=author
        )
        CampaignEvent.objects.filter(pk=event.pk).update(at=at)  # ``at`` is auto_now_add
    return campaign


def _draft(tenant, department, author) -> Campaign:
    campaign = Campaign.objects.create(
        tenant=tenant,
        name=DRAFT,
        description="Pronta para começar no simulador.",
        department=department,
        created_by=author,
        interval_min=2,
        interval_max=5,
    )
    campaign.audience_tags.set(Tag.objects.for_tenant(tenant).filter(name="VIP"))
    _variations(campaign)
    return campaign


@transaction.atomic
def seed_campaigns(tenant) -> list[str]:
    """Create Acme's demo campaigns that are missing; returns the names created."""
    if tenant.slug != TENANT:
        return []
    department = Department.objects.for_tenant(tenant).filter(name=DEPARTMENT).first()
    author = tenant.users.filter(role=Role.ADMIN).order_by("email").first()
    instance = WhatsAppInstance.objects.for_tenant(tenant).filter(name=INSTANCE_NAME).first()
    existing = set(Campaign.objects.for_tenant(tenant).values_list("name", flat=True))
    created = []
    if FINISHED not in existing:
        _finished(tenant, department, instance, author)
        created.append(FINISHED)
    if DRAFT not in existing:
        _draft(tenant, department, author)
        created.append(DRAFT)
    if instance is not None:
        for draft in Campaign.objects.for_tenant(tenant).filter(
            name=DRAFT, status=Campaign.Status.DRAFT, instances=None
        ):
            draft.instances.set([instance])
    return created
