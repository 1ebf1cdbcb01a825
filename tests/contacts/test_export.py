import csv
import io

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from openpyxl import load_workbook

from contacts import exporting, jobs, services
from contacts.models import Contact, ContactExport, Tag

CHANGELIST = "/admin/contacts/contact/"


@pytest.fixture
def contacts(cast):
    vip = Tag.objects.create(tenant=cast.acme, name="VIP")
    risky = services.create_contact(
        cast.acme,
        name="=2+5",
        phone="(11) 98765-0001",
        state="SP",
        custom_fields={"plano": "-1+2", "origem": "@feira"},
    )
    plain = services.create_contact(cast.acme, name="Maria", phone="(11) 98765-0002", state="RJ")
    services.add_tag(cast.acme, Contact.objects.filter(pk=risky.pk), vip)
    services.create_contact(cast.globex, name="Globex person", phone="(11) 98765-0003")
    return risky, plain


def read_csv(job):
    with job.file.open("rb") as handle:
        return list(csv.reader(io.TextIOWrapper(handle, encoding="utf-8-sig"), delimiter=";"))


def export(client, fmt, query=""):
    response = client.post(f"{CHANGELIST}export/?{query}", {"format": fmt})
    assert response.status_code == 302, response
    return ContactExport.objects.latest("created_at")


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("+55", "'+55"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("Maria", "Maria"),
        ("", ""),
    ],
)
def test_cells_that_would_run_as_formulas_are_escaped(value, shown):
    assert exporting.escape_cell(value) == shown


def test_export_of_the_filtered_changelist_has_tags_and_custom_fields(cast, login, contacts):
    job = export(login(cast.ana), "csv", "state__exact=SP")
    assert job.status == ContactExport.Status.DONE
    header, *rows = read_csv(job)
    assert header[-2:] == ["origem", "plano"]
    assert len(rows) == 1
    assert rows[0][0] == "'=2+5"
    assert rows[0][-2:] == ["'@feira", "'-1+2"]
    assert "VIP" in rows[0]


def test_an_export_never_contains_another_tenants_contacts(cast, login, contacts):
    job = export(login(cast.ana), "csv")
    names = [row[0] for row in read_csv(job)[1:]]
    assert len(names) == 2 and "Globex person" not in names


def test_export_selected_as_xlsx(cast, login, contacts):
    client = login(cast.ana)
    client.post(CHANGELIST, {"action": "export_xlsx", ACTION_CHECKBOX_NAME: [contacts[1].pk]})
    job = ContactExport.objects.latest("created_at")
    with job.file.open("rb") as handle:
        sheet = load_workbook(handle, read_only=True).active
        values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert len(values) == 2 and values[1][0] == "Maria"


def test_the_download_is_checked_like_the_job(cast, login, contacts):
    job = export(login(cast.ana), "csv")
    url = f"/admin/contacts/contactexport/{job.pk}/download/"
    assert login(cast.ana).get(url).status_code == 200
    assert login(cast.gabriel).get(url).status_code == 404


def test_large_exports_run_in_the_background(
    cast, login, contacts, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(jobs, "BACKGROUND_ROWS", 1)
    with django_capture_on_commit_callbacks(execute=True):
        job = export(login(cast.ana), "csv")
        # Queued, and handed to the cluster only when the request's transaction commits.
        assert job.status == ContactExport.Status.QUEUED
    job.refresh_from_db()  # the test cluster runs tasks synchronously (Q_CLUSTER "sync")
    assert job.status == ContactExport.Status.DONE
    assert len(read_csv(job)) == 3


def test_agents_may_view_contacts_but_not_export_them(cast, login, contacts):
    client = login(cast.alice)
    page = client.get(CHANGELIST)
    assert page.status_code == 200 and "Export CSV" not in page.text and "Exportar" not in page.text
    assert client.post(f"{CHANGELIST}export/", {"format": "csv"}).status_code == 403
    assert not ContactExport.objects.exists()
