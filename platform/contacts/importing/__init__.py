"""Contacts from spreadsheets: read a CSV or XLSX, guess the column mapping, preview and import.

The admin's import pages and their background job call only what this module exports::

    table = read_table(uploaded_file, "clientes.csv")        # SpreadsheetError if unreadable
    mapping = guess_mapping(table.header)                     # the user may change it
    report = run_import(tenant, table, mapping, ImportOptions(), dry_run=True)   # the preview
    report = run_import(tenant, read_table(...), mapping, options, dry_run=False, by=user)
    write_rejected_csv(report, table.header, output)          # the rows to fix, with reasons

``run_import`` calls ``progress(done, total)`` while it reads the rows, before its transaction
opens, so a job can save its progress with plain UPDATEs that other requests see; the writes then
happen in one transaction (all or nothing). ``report.as_dict()`` / ``ImportReport.from_dict`` store
a report in a JSONField.

docs/performance.md (contacts_import) has the measurements behind the design.
"""

from contacts.importing.engine import (
    PREVIEW_PER_STATUS,
    STATUSES,
    ImportOptions,
    ImportReport,
    RowOutcome,
    run_import,
)
from contacts.importing.errors import SpreadsheetError
from contacts.importing.mapping import (
    TARGET_LABELS,
    TARGETS,
    custom_key,
    guess_mapping,
    validate_mapping,
)
from contacts.importing.reading import MAX_FILE_BYTES, Table, read_table
from contacts.importing.rejected import write_rejected_csv

__all__ = [
    "MAX_FILE_BYTES",
    "PREVIEW_PER_STATUS",
    "STATUSES",
    "TARGETS",
    "TARGET_LABELS",
    "ImportOptions",
    "ImportReport",
    "RowOutcome",
    "SpreadsheetError",
    "Table",
    "custom_key",
    "guess_mapping",
    "read_table",
    "run_import",
    "validate_mapping",
    "write_rejected_csv",
]
