"""A failed import leaves nothing behind: not a contact, tag, link, event or counter."""

import io
import zipfile

import pytest
from django.db import DatabaseError, connection

from contacts import services
from contacts.importing import SpreadsheetError
from contacts.models import Contact, ContactEvent, ContactList, ContactTag, ListMembership, Tag
from tenancy import limits
from tests.contacts.importing.test_reading_files import workbook_bytes

ROWS = "nome;telefone;tags\n" + "".join(
    f'Cliente {n};(11) 9{n:04d}-1111;"vip;nova"\n' for n in range(30)
)


def state(tenant):
    return {
        "contacts": sorted(
            Contact.objects.for_tenant(tenant).values_list("phone", "name", "updated_at")
        ),
        "events": ContactEvent.objects.for_tenant(tenant).count(),
        "tags": sorted(Tag.objects.for_tenant(tenant).values_list("name", "contact_count")),
        "lists": sorted(
            ContactList.objects.for_tenant(tenant).values_list("name", "contact_count")
        ),
        "links": ContactTag.objects.filter(tag__tenant=tenant).count(),
        "memberships": ListMembership.objects.filter(contact_list__tenant=tenant).count(),
    }


@pytest.fixture
def starting_point(cast):
    """Some contacts the import would update, a tag it would count on, a list it would fill."""
    services.create_contact(cast.globex, name="Cliente 0", phone="(11) 90000-1111")
    services.create_contact(cast.globex, name="Cliente 1", phone="(11) 90001-1111")
    Tag.objects.create(tenant=cast.globex, name="vip")
    return ContactList.objects.create(tenant=cast.globex, name="Feira")


def test_an_import_over_the_plan_limit_says_how_many_fit_and_writes_nothing(
    cast, importer, starting_point, english_messages
):
    plan = cast.globex.plan
    plan.max_contacts = 10
    plan.save()
    before = state(cast.globex)
    with pytest.raises(limits.PlanLimitError) as refused:
        importer(ROWS, tenant=cast.globex, contact_list_id=starting_point.pk)
    message = " ".join(refused.value.messages)
    assert "allows 10 contacts and 8 more fit; you tried to add 28" in message
    assert state(cast.globex) == before


FAIL_ON_EVENTS = """
CREATE FUNCTION alrea_test_refuse_event() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'the disk is full (a test trigger)'; END $$ LANGUAGE plpgsql;
CREATE TRIGGER alrea_test_refuse_event BEFORE INSERT ON contacts_contactevent
FOR EACH ROW EXECUTE FUNCTION alrea_test_refuse_event();
"""
DROP_TRIGGER = """
DROP TRIGGER IF EXISTS alrea_test_refuse_event ON contacts_contactevent;
DROP FUNCTION IF EXISTS alrea_test_refuse_event();
"""


@pytest.fixture
def events_fail():
    """The database refuses timeline events: the last thing an import writes."""
    with connection.cursor() as cursor:
        cursor.execute(FAIL_ON_EVENTS)
    yield
    with connection.cursor() as cursor:
        cursor.execute(DROP_TRIGGER)


@pytest.mark.django_db(transaction=True)
def test_a_database_error_after_contacts_and_links_were_written_rolls_all_back(
    cast, importer, starting_point, events_fail
):
    before = state(cast.globex)
    with pytest.raises(DatabaseError, match="the disk is full"):
        importer(
            ROWS, tenant=cast.globex, tag_names=["Feira 2026"], contact_list_id=starting_point.pk
        )
    assert state(cast.globex) == before
    assert not Tag.objects.filter(name__in=["nova", "Feira 2026"]).exists()


def test_a_workbook_that_breaks_halfway_imports_nothing(cast, importer):
    rows = [["nome", "telefone"]] + [[f"C{n}", f"1198765{n:04d}"] for n in range(200)]
    data = workbook_bytes(rows)
    broken = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content[: len(content) // 2] + b"<row><c><<<broken"
            target.writestr(item, content)
    with pytest.raises(SpreadsheetError, match=r"not an Excel workbook.*or it is damaged"):
        importer(broken.getvalue(), "planilha.xlsx")
    assert not Contact.objects.exists()
