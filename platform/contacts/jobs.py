"""Imports and exports as jobs: small ones run in the request, large ones on the django-q2
cluster, and both record progress and the outcome on their job row, so the user can leave the
page and come back."""

import logging
import tempfile

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.http import QueryDict
from django.test import RequestFactory
from django.utils import timezone
from django.utils.translation import gettext as _
from django_q.tasks import async_task

from contacts import exporting, importing
from contacts.models import Contact, ContactExport, ContactImport
from notifications import events as notification_events

logger = logging.getLogger(__name__)

# Above this many rows a job leaves the request for the background cluster.
BACKGROUND_ROWS = 3000


def _save(job, **fields):
    # A plain UPDATE: progress is visible to other requests while the job's own work runs.
    type(job).objects.filter(pk=job.pk).update(**fields)
    for name, value in fields.items():
        setattr(job, name, value)


def start(job, task) -> None:
    """Run ``task(job.pk)`` now or queue it on the cluster, depending on the job's size."""
    if job.total_rows is not None and job.total_rows <= BACKGROUND_ROWS:
        task(job.pk)
        job.refresh_from_db()
        return
    _save(job, status=job.Status.QUEUED)
    # Queued after commit: the worker must find the job row.
    transaction.on_commit(lambda: async_task(f"{task.__module__}.{task.__name__}", job.pk))


def _finish(job, **fields):
    _save(job, finished_at=timezone.now(), **fields)


# --- import -----------------------------------------------------------------------------------
def options_of(job: ContactImport) -> importing.ImportOptions:
    return importing.ImportOptions(
        update_existing=job.update_existing,
        tag_names=[name.strip() for name in job.tag_names.split(";") if name.strip()],
        contact_list_id=job.contact_list_id,
    )


def mapping_of(job: ContactImport) -> dict[int, str]:
    return {int(column): target for column, target in job.mapping.items()}


def read(job: ContactImport) -> importing.Table:
    with job.file.open("rb") as handle:
        return importing.read_table(handle, job.filename)


def preview(job: ContactImport) -> importing.ImportReport:
    return importing.run_import(
        job.tenant, read(job), mapping_of(job), options_of(job), dry_run=True, by=job.created_by
    )


def run_import_job(job_id) -> None:
    job = ContactImport.objects.select_related("tenant", "created_by").get(pk=job_id)
    _import(job)
    notification_events.import_finished(job)  # done or failed, the user who started it hears


def _import(job: ContactImport) -> None:
    _save(job, status=job.Status.RUNNING, processed_rows=0)
    try:
        report = importing.run_import(
            job.tenant,
            read(job),
            mapping_of(job),
            options_of(job),
            dry_run=False,
            by=job.created_by,
            progress=lambda done, total: _save(job, processed_rows=done),
        )
    except importing.SpreadsheetError as error:
        _finish(job, status=job.Status.FAILED, error=str(error.message))
        return
    except ValidationError as error:  # the plan limit, a suspended tenant
        _finish(job, status=job.Status.FAILED, error=" ".join(error.messages))
        return
    except Exception:
        logger.exception("contact import failed", extra={"tenant_id": str(job.tenant_id)})
        _finish(job, status=job.Status.FAILED, error=_("Unexpected error; nothing was imported."))
        return
    if report.rejected:
        with tempfile.TemporaryFile() as rejected:
            importing.write_rejected_csv(report, read(job).header, rejected)
            rejected.seek(0)
            job.rejected_file.save(f"rejeitados-{job.pk}.csv", File(rejected), save=False)
        _save(job, rejected_file=job.rejected_file.name)
    _finish(job, status=job.Status.DONE, counts=report.counts, processed_rows=report.total_rows)


# --- export -----------------------------------------------------------------------------------
def contacts_of(job: ContactExport):
    """The contacts the user saw when they asked: their selection, or the changelist with
    their filters, through the admin itself (same tenant scoping, same role visibility)."""
    if job.selected_ids:
        return Contact.objects.visible_to(job.created_by).filter(pk__in=job.selected_ids)
    return changelist_contacts(job.created_by, job.query)


def changelist_contacts(user, query: str):
    """The contacts changelist with the filters of ``query`` (its query string), replayed as
    ``user`` sees it. Raises IncorrectLookupParameters or DisallowedModelAdminLookup on a
    filter the changelist refuses."""
    request = RequestFactory().get("/admin/contacts/contact/", QueryDict(query))
    request.user = user
    changelist_admin = admin.site._registry[Contact]
    return changelist_admin.get_changelist_instance(request).get_queryset(request)


def run_export_job(job_id) -> None:
    job = ContactExport.objects.select_related("created_by").get(pk=job_id)
    contacts = contacts_of(job).for_tenant(job.tenant_id)
    _save(job, status=job.Status.RUNNING, total_rows=contacts.count())
    try:
        with tempfile.TemporaryFile() as output:
            table = exporting.rows(contacts, progress=lambda done: _save(job, processed_rows=done))
            exporting.WRITERS[job.format](table, output)
            output.seek(0)
            name = f"contatos-{job.created_at:%Y%m%d-%H%M}.{job.format}"
            job.file.save(name, File(output), save=False)
    except Exception:
        logger.exception("contact export failed", extra={"tenant_id": str(job.tenant_id)})
        _finish(job, status=job.Status.FAILED, error=_("Unexpected error; try again."))
        return
    _finish(job, status=job.Status.DONE, file=job.file.name, processed_rows=job.total_rows)
