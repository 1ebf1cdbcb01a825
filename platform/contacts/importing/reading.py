"""Spreadsheet files to a header and rows of text: CSV in the encodings and delimiters people
actually save, and XLSX. Every refusal is a SpreadsheetError whose message the user reads."""

import csv
import io
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from contacts.importing import xlsx
from contacts.importing.errors import SpreadsheetError

# Accepted up to and including 50 MB (MiB, as file managers show it); larger files are refused
# before anything is parsed. 50 MB of CSV is about 500,000 contacts.
MAX_FILE_BYTES = 50 * 1024 * 1024
CSV_EXTENSIONS = frozenset({".csv", ".txt", ".tsv"})
XLSX_EXTENSIONS = frozenset({".xlsx", ".xlsm"})
DELIMITERS = (";", "\t", ",")  # on a tie, the earlier wins: ';' is what Excel pt-BR writes
_BINARY_STARTS = (b"PK\x03\x04", b"%PDF", b"\xd0\xcf\x11\xe0", b"\x89PNG", b"\xff\xd8\xff")


@dataclass
class Table:
    """A spreadsheet's header and its data rows, every cell as text.

    ``rows`` may be an iterator: it can be walked once; call ``read_table`` again for another run.
    Rows keep blank lines (as rows of empty cells), so the n-th row is the spreadsheet's line
    n + 1. ``total_rows`` counts the rows with at least one filled cell when it is known in
    advance (CSV); for XLSX it is the sheet's declared size, which may include trailing blank rows,
    or None.
    """

    header: list[str]
    rows: Iterable[list[str]]
    total_rows: int | None
    filename: str = ""


def read_table(fileobj, filename: str) -> Table:
    """Open an uploaded spreadsheet (a binary file object) by its file name's extension."""
    extension = os.path.splitext(filename or "")[1].lower()
    if extension == ".xls":
        raise SpreadsheetError(
            _(
                "Files in the old Excel format (.xls) cannot be read. Open it in Excel and save "
                "it as .xlsx or .csv."
            )
        )
    if extension not in CSV_EXTENSIONS | XLSX_EXTENSIONS:
        raise SpreadsheetError(
            _("%(name)s is not a spreadsheet this import reads: send a .csv or .xlsx file.")
            % {"name": filename or _("This file")}
        )
    fileobj = _check_size(fileobj)
    if extension in XLSX_EXTENSIONS:
        header, rows, total = xlsx.read(fileobj)
    else:
        header, rows, total = _read_csv(fileobj.read())
    return Table(header=header, rows=rows, total_rows=total, filename=os.path.basename(filename))


def _size_of(fileobj) -> int | None:
    size = getattr(fileobj, "size", None)  # Django's File and UploadedFile know it
    if isinstance(size, int):
        return size
    try:
        here = fileobj.tell()
        end = fileobj.seek(0, io.SEEK_END)
        fileobj.seek(here)
        return end - here
    except (AttributeError, OSError):
        return None


def _check_size(fileobj):
    """Refuse empty and oversized files; return a file object to read from."""
    size = _size_of(fileobj)
    if size is None:  # an unseekable stream: read it, bounded
        data = fileobj.read(MAX_FILE_BYTES + 1)
        size = len(data)
        fileobj = io.BytesIO(data)
    if size > MAX_FILE_BYTES:
        raise SpreadsheetError(
            _(
                "The file has %(size)s MB; the limit is %(limit)s MB. Split it into smaller "
                "files, or remove columns you do not need."
            )
            % {"size": f"{size / 1024 / 1024:.0f}", "limit": MAX_FILE_BYTES // 1024 // 1024}
        )
    if size == 0:
        raise SpreadsheetError(_("The file is empty."))
    return fileobj


# --- CSV --------------------------------------------------------------------------------------
def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM ("Unicode text" from Excel), else the
    Windows-1252 that Excel pt-BR writes, which Latin-1 extends for its five unused bytes."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise _not_csv() from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _not_csv():
    return SpreadsheetError(
        _(
            "This file is not a CSV text file (it looks like a binary or compressed file). Save "
            "the spreadsheet as CSV or XLSX and try again."
        )
    )


def sniff_delimiter(first_line: str) -> str:
    """The delimiter that splits the header line the most, counted outside quotes."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in first_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])  # max keeps the first of equals
    return best if counts[best] else ","


def _read_csv(data: bytes) -> tuple[list[str], Iterator[list[str]], int]:
    utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
    if not utf16 and (data.startswith(_BINARY_STARTS) or b"\x00" in data[:8192]):
        raise _not_csv()
    text = decode(data)
    if "\x00" in text:
        raise _not_csv()
    if not text.strip():
        raise SpreadsheetError(_("The file is empty."))
    start = len(text) - len(text.lstrip())
    first_line = text[start:].split("\n", 1)[0]
    delimiter = sniff_delimiter(first_line)

    def records():
        return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    try:
        reader = records()
        header = next(row for row in reader if any(cell.strip() for cell in row))
        header_line = reader.line_num
        total = sum(1 for row in reader if any(cell.strip() for cell in row))
    except csv.Error as error:
        raise SpreadsheetError(
            _("The file could not be read as CSV (%(error)s).") % {"error": error}
        ) from None
    if not total:
        raise SpreadsheetError(_("The file has a header but no rows: there is nothing to import."))

    def rows():
        reader = records()
        for row in reader:
            if reader.line_num > header_line:
                yield row

    header = [cell.strip().lstrip("\ufeff") for cell in header]
    return header, rows(), total
