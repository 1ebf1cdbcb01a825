"""A campaign's recipients with their statuses, to CSV or XLSX.

Rows are read in chunks with a server-side cursor and written as they come: the CSV streams to
the browser while it is read (100,000 rows start downloading at once), the XLSX is written by
openpyxl's write-only mode into a temporary file (constant memory) and then sent. Cells are
escaped as in the contacts export (no spreadsheet formulas from customer data).
"""

import csv
import tempfile
from collections.abc import Iterable, Iterator

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from alrea.phones import format_phone
from campaigns.models import Campaign, CampaignRecipient
from contacts.exporting import CHUNK, escape_cell

STAMPS = (
    "queued_at",
    "sent_at",
    "delivered_at",
    "read_at",
    "replied_at",
    "failed_at",
    "skipped_at",
)
FIELDS = (
    "contact__name",
    "contact__phone",
    "status",
    "skip_reason",
    "instance__name",
    "variation__order",
    "attempts",
    "last_error",
    *STAMPS,
)


def _header() -> list[str]:
    return [
        _("Name"),
        _("Phone"),
        _("Status"),
        _("Why skipped"),
        _("Sent from"),
        _("Variation"),
        _("Attempts"),
        _("Last error"),
        _("Queued at"),
        _("Sent at"),
        _("Delivered at"),
        _("Read at"),
        _("Replied at"),
        _("Failed at"),
        _("Skipped at"),
    ]


def _moment(value) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M:%S") if value else ""


def rows(campaign: Campaign) -> Iterator[list[str]]:
    """The header, then one escaped row per recipient of ``campaign``."""
    statuses = dict(CampaignRecipient.Status.choices)
    reasons = dict(CampaignRecipient.SkipReason.choices)
    yield _header()
    recipients = (
        CampaignRecipient.objects.filter(campaign=campaign, tenant_id=campaign.tenant_id)
        .order_by("pk")
        .values_list(*FIELDS)
    )
    for values in recipients.iterator(chunk_size=CHUNK):
        name, phone, status, reason, instance, order, attempts, error, *stamps = values
        cells = [
            name,
            format_phone(phone),
            statuses.get(status, status),
            reasons.get(reason, reason),
            instance or "",
            "" if order is None else order + 1,
            attempts,
            error,
            *(_moment(stamp) for stamp in stamps),
        ]
        yield [escape_cell(cell) for cell in cells]


class _Line:
    """A file-like sink for csv.writer that hands back what was written."""

    def write(self, text: str) -> str:
        return text


def csv_chunks(table: Iterable[list[str]]) -> Iterator[bytes]:
    # UTF-8 with BOM and ';', as the contacts export: Excel in Brazil opens it with a click.
    writer = csv.writer(_Line(), delimiter=";")
    yield "\ufeff".encode()
    batch = []
    for row in table:
        batch.append(writer.writerow(row))
        if len(batch) >= 500:
            yield "".join(batch).encode()
            batch = []
    if batch:
        yield "".join(batch).encode()


def xlsx_file(table: Iterable[list[str]]):
    """A temporary file (positioned at its start) holding the table as a workbook."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Recipients"))
    for row in table:
        sheet.append(row)
    output = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it once sent)
    workbook.save(output)
    output.seek(0)
    return output


def filename(campaign: Campaign, extension: str) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in campaign.name.lower()).strip("-")[:40]
    return f"{slug or 'campanha'}-{timezone.localdate():%Y%m%d}.{extension}"
