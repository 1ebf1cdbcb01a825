"""A spreadsheet import tells integrators about each contact it wrote, as single saves do."""

from collections import Counter

import pytest

from api.models import WebhookDelivery, WebhookSubscription
from contacts import services

pytestmark = pytest.mark.django_db

CONTENT = (
    "nome;telefone\n"
    "Ana Souza;11987654321\n"  # renamed
    "Caio;31988776655\n"  # unchanged
    "Bia;21998765432\n"  # new
)


@pytest.fixture
def existing(cast):
    services.create_contact(cast.acme, name="Ana", phone="11987654321")
    services.create_contact(cast.acme, name="Caio", phone="31988776655")


def test_each_new_and_changed_contact_is_an_event(cast, importer, existing):
    WebhookSubscription.objects.create(
        tenant=cast.acme,
        url="https://erp.example.com/hooks",
        events=["contact.created", "contact.updated"],
    )
    WebhookSubscription.objects.create(
        tenant=cast.globex, url="https://globex.example.com/hooks", events=["contact.created"]
    )
    importer(CONTENT)
    events = Counter(
        (row.event, row.payload["data"]["name"])
        for row in WebhookDelivery.objects.filter(tenant=cast.acme)
    )
    assert events == {("contact.created", "Bia"): 1, ("contact.updated", "Ana Souza"): 1}
    assert not WebhookDelivery.objects.filter(tenant=cast.globex).exists()


def test_a_dry_run_and_an_import_nobody_listens_to_store_nothing(cast, importer, existing):
    importer(CONTENT)  # no subscription yet
    WebhookSubscription.objects.create(
        tenant=cast.acme, url="https://erp.example.com/hooks", events=["contact.created"]
    )
    importer("nome;telefone\nDavi;11912345678\n", dry_run=True)
    assert not WebhookDelivery.objects.exists()
