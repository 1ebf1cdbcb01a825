import pytest

from contacts import services
from contacts.models import Contact, ContactList, Tag


@pytest.fixture
def acme_contacts(cast):
    return [
        services.create_contact(cast.acme, name=f"Cliente {n}", phone=f"(11) 98765-43{n:02d}")
        for n in range(5)
    ]


@pytest.fixture
def globex_contact(cast):
    return services.create_contact(cast.globex, name="Globex client", phone="(21) 99876-5432")


@pytest.fixture
def vip(cast):
    return Tag.objects.create(tenant=cast.acme, name="VIP")


@pytest.fixture
def newsletter(cast):
    return ContactList.objects.create(tenant=cast.acme, name="Newsletter")


@pytest.fixture
def all_contacts():
    return Contact.objects.all()
