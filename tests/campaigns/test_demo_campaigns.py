"""seed_demo's campaigns: a finished one whose counters are exactly its recipient rows, and a
draft that is ready to start once Acme Vendas exists; running the seed again adds nothing."""

from django.db.models import Count

from campaigns import services
from campaigns.demo import DRAFT, FINISHED, seed_campaigns
from campaigns.models import Campaign, CampaignRecipient
from contacts.demo import seed_contacts
from whatsapp.models import WhatsAppInstance

R = CampaignRecipient.Status


def test_finished_campaign_has_a_consistent_realistic_funnel(cast):
    seed_contacts(cast.acme)
    assert seed_campaigns(cast.acme) == [FINISHED, DRAFT]
    finished = Campaign.objects.get(tenant=cast.acme, name=FINISHED)
    assert finished.status == Campaign.Status.COMPLETED and finished.finished_at
    rows = dict(
        CampaignRecipient.objects.filter(campaign=finished)
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    assert {s: finished.counts()[s] for s in R.values} == {s: rows.get(s, 0) for s in R.values}
    assert finished.counts()["total"] == 600
    assert not (rows.get(R.PENDING) or rows.get(R.QUEUED) or rows.get(R.SENDING))
    # Every step of the funnel has people, fewer at each step.
    assert rows[R.REPLIED] < rows[R.READ] < rows[R.DELIVERED] + rows[R.READ] + rows[R.REPLIED]
    assert rows[R.FAILED] and rows[R.SKIPPED] and rows[R.SENT]
    read = CampaignRecipient.objects.filter(campaign=finished, status=R.READ).first()
    assert read.sent_at < read.delivered_at < read.read_at
    assert sum(finished.variations.values_list("times_used", flat=True)) == 600 - rows[R.SKIPPED]


def test_draft_is_ready_once_acme_vendas_exists_and_seeding_again_adds_nothing(cast):
    seed_contacts(cast.acme)
    seed_campaigns(cast.acme)
    draft = Campaign.objects.get(tenant=cast.acme, name=DRAFT)
    assert draft.status == Campaign.Status.DRAFT and not draft.instances.exists()
    bodies = list(draft.variations.values_list("body", flat=True))
    assert len(bodies) == 2
    assert all("{{primeiro_nome}}" in body and "{{saudacao}}" in body for body in bodies)
    vendas = WhatsAppInstance.objects.create(
        tenant=cast.acme, name="Acme Vendas", evolution_name="demo-acme-vendas"
    )
    assert seed_campaigns(cast.acme) == []  # what seed_demo_whatsapp runs after making it
    assert list(draft.instances.all()) == [vendas]
    services.check_ready(draft)
    assert Campaign.objects.filter(tenant=cast.acme).count() == 2
    assert seed_campaigns(cast.globex) == []
