"""The import pages of the admin: upload, columns, preview, confirm, result."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from contacts import jobs
from contacts.models import Contact, ContactImport

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "spreadsheets"
ADD = "/admin/contacts/contactimport/add/"


def upload(client, name="contatos-com-erros.csv", content=None, **options):
    data = content if content is not None else (SAMPLES / name).read_bytes()
    response = client.post(
        ADD, {"file": SimpleUploadedFile(name, data), "update_existing": "on", **options}
    )
    return response


def job_page(job):
    return f"/admin/contacts/contactimport/{job.pk}/change/"


def columns_of(job):
    return {"update_existing": "on", **{f"column_{k}": v for k, v in job.mapping.items()}}


def test_upload_guesses_the_columns_and_changes_nothing_yet(cast, login):
    client = login(cast.ana)
    response = upload(client)
    job = ContactImport.objects.get()
    assert response.status_code == 302 and response.url == job_page(job)
    assert "phone" in job.mapping.values() and "name" in job.mapping.values()
    assert job.status == ContactImport.Status.UPLOADED
    assert not Contact.objects.exists()
    assert client.get(job_page(job)).status_code == 200


def test_preview_reports_each_row_and_writes_nothing(cast, login):
    client = login(cast.ana)
    upload(client)
    job = ContactImport.objects.get()
    response = client.post(job_page(job), {**columns_of(job), "_preview": "1"})
    report = response.context["report"]
    assert report.counts["new"] >= 1 and report.counts["invalid"] >= 1
    assert any(row.reason for row in report.preview if row.status == "invalid")
    assert not Contact.objects.exists()


def test_confirm_imports_and_keeps_the_rejected_rows_for_download(cast, login):
    client = login(cast.ana)
    upload(client)
    job = ContactImport.objects.get()
    response = client.post(job_page(job), {**columns_of(job), "_start": "1"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ContactImport.Status.DONE, job.error
    assert Contact.objects.for_tenant(cast.acme).count() == job.counts["new"] > 0
    download = client.get(f"/admin/contacts/contactimport/{job.pk}/download/")
    assert download.status_code == 200
    assert b"12345" in b"".join(download.streaming_content)  # the short phone, with reason
    assert login(cast.gabriel).get(job_page(job)).status_code == 404


def test_a_broken_file_is_refused_on_upload_with_a_clear_message(cast, login):
    response = upload(login(cast.ana), name="clientes.xlsx", content=b"not a spreadsheet")
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["file"]
    assert not ContactImport.objects.exists()


def test_a_mapping_without_a_phone_column_is_refused(cast, login):
    client = login(cast.ana)
    upload(client)
    job = ContactImport.objects.get()
    no_phone = {k: ("ignore" if v == "phone" else v) for k, v in columns_of(job).items()}
    response = client.post(job_page(job), {**no_phone, "_start": "1"})
    assert response.status_code == 200
    assert response.context["form"].errors
    job.refresh_from_db()
    assert job.status == ContactImport.Status.UPLOADED


def test_large_imports_run_in_the_background_with_progress(
    cast, login, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(jobs, "BACKGROUND_ROWS", 1)
    client = login(cast.ana)
    upload(client)
    job = ContactImport.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(job_page(job), {**columns_of(job), "_start": "1"})
        job.refresh_from_db()
        assert job.status == ContactImport.Status.QUEUED
        page = client.get(job_page(job))
        assert 'http-equiv="refresh"' in page.text  # the page follows the progress
    job.refresh_from_db()
    assert job.status == ContactImport.Status.DONE
    assert job.processed_rows == job.total_rows


@pytest.mark.parametrize("persona", ["alice"])
def test_agents_cannot_import(cast, login, persona):
    response = upload(login(cast.users[persona]))
    assert response.status_code == 403


def test_an_import_over_the_plan_limit_says_how_many_fit(cast, login, english):
    plan = cast.globex.plan
    plan.max_contacts = 1
    plan.save()
    client = login(cast.gabriel)
    client.cookies["django_language"] = "en"
    upload(client)
    job = ContactImport.objects.get()
    preview = client.post(job_page(job), {**columns_of(job), "_preview": "1"})
    assert "1 more fit" in preview.context["report"].limit_error
    client.post(job_page(job), {**columns_of(job), "_start": "1"})
    job.refresh_from_db()
    assert job.status == ContactImport.Status.FAILED
    assert "Starter" in job.error and "%(" not in job.error
    assert not Contact.objects.for_tenant(cast.globex).exists()
