"""The file of rejected rows a user downloads, fixes and imports again."""

import csv
import io

from django.utils.translation import gettext as _

from contacts.exporting import escape_cell


def write_rejected_csv(report, header: list[str], fileobj) -> None:
    """Invalid and duplicate rows as they were read, plus a last column with the reason.

    UTF-8 with BOM and ``;`` between cells, which Excel pt-BR opens as columns. Cells that a
    spreadsheet would run as formulas get a leading apostrophe, which the import removes again.
    ``fileobj`` is a binary file (a text one is written as it is).
    """
    text = fileobj if isinstance(fileobj, io.TextIOBase) else None
    if text is None:
        fileobj.write("\ufeff".encode())
        text = io.TextIOWrapper(fileobj, encoding="utf-8", newline="", write_through=True)
    else:
        text.write("\ufeff")
    writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
    width = len(header)
    writer.writerow([*(escape_cell(cell) for cell in header), _("Rejection reason")])
    for _number, raw, reason in report.rejected:
        cells = list(raw)[:width] + [""] * (width - len(raw))
        writer.writerow([*(escape_cell(cell) for cell in cells), escape_cell(reason)])
    if text is not fileobj:
        text.flush()
        text.detach()  # leave the caller's file open
