import pytest

from campaigns import rendering
from campaigns.models import Campaign
from contacts.models import Contact, ContactList, ContactTag, ListMembership, Tag


@pytest.fixture(autouse=True)
def forget_known_keys():
    # The process-wide cache of custom-field keys must not carry one test's contacts into another.
    rendering._known_keys.clear()
    yield
    rendering._known_keys.clear()


@pytest.fixture
def make_contact(cast):
    counter = iter(range(10_000))

    def make(tenant=None, *, tags=(), lists=(), **fields):
        fields.setdefault("phone", f"+55119876{next(counter):05d}")
        contact = Contact.objects.create(tenant=tenant or cast.acme, **fields)
        for tag in tags:
            ContactTag.objects.create(contact=contact, tag=tag)
        for contact_list in lists:
            ListMembership.objects.create(contact=contact, contact_list=contact_list)
        return contact

    return make


@pytest.fixture
def vip(cast):
    return Tag.objects.create(tenant=cast.acme, name="VIP")


@pytest.fixture
def newsletter(cast):
    return ContactList.objects.create(tenant=cast.acme, name="Newsletter")


@pytest.fixture
def campaign(cast):
    return Campaign.objects.create(tenant=cast.acme, name="Black Friday", created_by=cast.ana)
