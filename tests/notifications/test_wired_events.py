"""The events that notify: a number disconnects, a campaign finishes or pauses itself, an import
ends. Each notifies exactly the people it should, with a link to the page concerned."""

import pytest
from django.core.files.base import ContentFile

from campaigns import services as campaign_services
from campaigns.models import Campaign
from contacts import jobs
from contacts.models import ContactImport
from notifications.models import Notification
from tests.contacts.test_import_admin import columns_of, job_page, upload
from whatsapp import services as instance_services
from whatsapp.models import ConnectionState, WhatsAppInstance


def told(kind) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("user__email", flat=True))


@pytest.fixture
def vendas(cast, sales):
    return WhatsAppInstance.objects.create(
        tenant=cast.acme,
        name="Vendas",
        evolution_name="alrea-notify1",
        state=ConnectionState.OPEN,
        default_department=sales,
    )


# --- a number disconnects -------------------------------------------------------------------
def test_a_connected_number_that_closes_tells_the_admins_and_its_departments_managers(cast, vendas):
    assert instance_services.record_state(vendas, ConnectionState.CLOSE, 401)

    assert told("instance_disconnected") == {cast.ana.email, cast.marcos.email}
    notice = Notification.objects.get(user=cast.ana)
    assert "Vendas" in notice.title
    assert notice.link == f"/admin/whatsapp/whatsappinstance/{vendas.pk}/change/"
    assert notice.tenant == cast.acme


def test_without_a_default_department_only_the_admins_hear(cast, vendas):
    vendas.default_department = None
    vendas.save()
    instance_services.record_state(vendas, ConnectionState.CLOSE)
    assert told("instance_disconnected") == {cast.ana.email}


def test_a_number_that_never_connected_notifies_nobody(cast, vendas):
    WhatsAppInstance.objects.filter(pk=vendas.pk).update(state=ConnectionState.CONNECTING)
    instance_services.record_state(vendas, ConnectionState.CLOSE)
    assert not Notification.objects.exists()


def test_a_flapping_number_tells_each_person_once_until_they_read_it(cast, vendas):
    for _round in range(3):
        instance_services.record_state(vendas, ConnectionState.CLOSE)
        instance_services.record_state(vendas, ConnectionState.OPEN)
    assert Notification.objects.filter(user=cast.ana).count() == 1


# --- campaigns ------------------------------------------------------------------------------
@pytest.fixture
def running(cast):
    # Created by marcos, so the creator and the admin (ana) are two people.
    return Campaign.objects.create(
        tenant=cast.acme,
        name="Black Friday",
        created_by=cast.marcos,
        status=Campaign.Status.RUNNING,
    )


def test_a_campaign_that_completes_tells_its_creator_and_the_admins(cast, running):
    assert campaign_services.complete_if_done(running.pk)
    assert told("campaign_finished") == {cast.marcos.email, cast.ana.email}
    notice = Notification.objects.get(user=cast.marcos)
    assert "Black Friday" in notice.title
    assert notice.link == f"/admin/campaigns/campaign/{running.pk}/change/"


def test_a_campaign_that_pauses_itself_says_why(cast, running):
    campaign_services.pause(running, reason="No WhatsApp number can send.", automatic=True)
    assert told("campaign_paused") == {cast.marcos.email, cast.ana.email}
    assert Notification.objects.get(user=cast.ana).body == "No WhatsApp number can send."


def test_a_person_pausing_a_campaign_notifies_nobody(cast, running):
    campaign_services.pause(running, by=cast.ana)
    assert not Notification.objects.exists()


# --- imports --------------------------------------------------------------------------------
def test_a_background_import_tells_the_user_who_started_it(
    cast, login, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(jobs, "BACKGROUND_ROWS", 1)
    client = login(cast.marcos)
    upload(client)
    job = ContactImport.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(job_page(job), {**columns_of(job), "_start": "1"})
    job.refresh_from_db()
    assert job.status == ContactImport.Status.DONE

    assert told("import_finished") == {cast.marcos.email}
    notice = Notification.objects.get()
    assert job.filename in notice.title
    assert str(job.counts["new"]) in notice.body
    assert notice.link == job_page(job)


def test_a_failed_import_tells_the_user_what_went_wrong(cast):
    job = ContactImport.objects.create(
        tenant=cast.acme,
        created_by=cast.ana,
        file=ContentFile(b"\x00\x01 not a spreadsheet", name="broken.xlsx"),
        filename="broken.xlsx",
        mapping={"0": "phone"},
        total_rows=1,
    )
    jobs.run_import_job(job.pk)
    job.refresh_from_db()
    assert job.status == ContactImport.Status.FAILED
    notice = Notification.objects.get(user=cast.ana, kind="import_finished")
    assert "broken.xlsx" in notice.title
    assert notice.body == job.error != ""
