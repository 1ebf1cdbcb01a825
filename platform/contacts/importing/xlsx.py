"""XLSX workbooks: the first sheet's rows as text, after checking the archive is no zip bomb.

openpyxl opens the workbook (its parts, shared strings, date styles, 1900/1904 epoch) in read-only
mode. The rows themselves are read here with expat, straight from the sheet's XML: openpyxl's
read-only cell parser costs about 8 µs a cell (10 s for 100,000 rows of 13 columns on the
development machine), which alone would make an XLSX import several times slower than the same
CSV. The cell rules are openpyxl's (``WorkSheetParser.parse_cell`` with ``data_only=True``), and
the tests compare both readers cell by cell. If a later openpyxl moves the private attributes this
relies on, ``rows`` falls back to openpyxl's own iterator: slower, never wrong.
"""

import datetime
import io
import logging
import zipfile
from itertools import chain
from xml.parsers import expat

from django.utils.translation import gettext_lazy as _
from openpyxl import load_workbook
from openpyxl.utils.datetime import from_excel, from_ISO8601

from contacts.importing.errors import SpreadsheetError

logger = logging.getLogger(__name__)

# What a workbook may expand to: an XLSX is a zip of XML files, and a few kilobytes of zip can
# declare gigabytes. The declared sizes are checked before openpyxl opens anything; zipfile then
# never inflates a member past its declared size (it fails the CRC check instead).
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_RATIO = 100  # uncompressed / compressed, for members over RATIO_FLOOR_BYTES
RATIO_FLOOR_BYTES = 10 * 1024 * 1024
MAX_MEMBERS = 10_000
_CHUNK = 1 << 20


def _not_a_workbook():
    return SpreadsheetError(
        _(
            "This file is not an Excel workbook (.xlsx), or it is damaged. Open it in Excel and "
            "save it again as .xlsx or .csv."
        )
    )


def check_archive(buffer) -> None:
    """Refuse what is not a zip, and zips that would expand too far."""
    head = buffer.read(8)
    buffer.seek(0)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise SpreadsheetError(
            _(
                "This file is password-protected or in the old Excel format (.xls). Remove the "
                "password or save it as .xlsx (or .csv) and try again."
            )
        )
    try:
        archive = zipfile.ZipFile(buffer)
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _not_a_workbook() from None
    members = archive.infolist()
    expanded = sum(member.file_size for member in members)
    suspicious = any(
        member.file_size > RATIO_FLOOR_BYTES
        and member.file_size > MAX_RATIO * max(member.compress_size, 1)
        for member in members
    )
    if len(members) > MAX_MEMBERS or expanded > MAX_UNCOMPRESSED_BYTES or suspicious:
        raise SpreadsheetError(
            _(
                "This workbook would expand to %(size)s MB when opened (the limit is %(limit)s "
                "MB, compressed at most %(ratio)s times), so it was not opened. If it is a real "
                "spreadsheet, save it as CSV and import that."
            )
            % {
                "size": f"{expanded / 1024 / 1024:,.0f}",
                "limit": MAX_UNCOMPRESSED_BYTES // 1024 // 1024,
                "ratio": MAX_RATIO,
            }
        )
    buffer.seek(0)


def read(fileobj):
    """(header, rows, total_rows) of the first sheet; see ``reading.Table``."""
    buffer = io.BytesIO(fileobj.read())
    check_archive(buffer)
    try:
        workbook = load_workbook(buffer, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of errors for what is not a workbook
        logger.info("unreadable xlsx", exc_info=True)
        raise _not_a_workbook() from None
    if not workbook.worksheets:
        raise SpreadsheetError(_("The workbook has no sheet with rows."))
    sheet = workbook.worksheets[0]
    rows = _guarded(rows_of(workbook, sheet), workbook)
    header, header_number = None, 0
    for number, row in enumerate(rows, start=1):
        if any(cell.strip() for cell in row):
            header, header_number = [cell.strip() for cell in row], number
            break
    if header is None:
        raise SpreadsheetError(_("The file is empty."))
    blanks = []
    for row in rows:
        blanks.append(row)
        if any(cell.strip() for cell in row):
            break
    else:
        raise SpreadsheetError(_("The file has a header but no rows: there is nothing to import."))
    declared = sheet.max_row
    total = declared - header_number if declared and declared > header_number else None
    return header, chain(blanks, rows), total


def _guarded(rows, workbook):
    try:
        yield from rows
    except SpreadsheetError:
        raise
    except Exception:  # a damaged part shows only once it is read
        logger.info("xlsx failed while reading rows", exc_info=True)
        raise _not_a_workbook() from None
    finally:
        workbook.close()


def rows_of(workbook, sheet):
    """Every row of ``sheet`` as a list of text, blank rows included (row n is line n)."""
    try:
        source = workbook._archive.open(sheet._worksheet_path)
        strings = sheet._shared_strings
        date_styles = workbook._date_formats
        timedelta_styles = workbook._timedelta_formats
    except AttributeError:  # another openpyxl: its own (slower) reader
        logger.warning("openpyxl internals moved; reading xlsx rows with openpyxl")
        return _openpyxl_rows(sheet)
    return _expat_rows(source, strings, date_styles, timedelta_styles, workbook.epoch)


def _openpyxl_rows(sheet):
    for row in sheet.iter_rows(values_only=True):
        yield [cell_text(value) for value in row]


# --- cells as text ------------------------------------------------------------------------------
def cell_text(value) -> str:
    """A cell value as the text a person typed: 11987654321.0 → "11987654321", dates as
    dd/mm/yyyy."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return format(value, ".15g")  # Excel shows 15 significant digits
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time():
            return value.strftime("%d/%m/%Y")
        return value.strftime("%d/%m/%Y %H:%M:%S" if value.second else "%d/%m/%Y %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M:%S" if value.second else "%H:%M")
    return str(value)


def _number_text(text: str) -> str:
    if "." in text or "E" in text or "e" in text:
        try:
            return format(float(text), ".15g")
        except ValueError:
            return text
    return text


_COLUMNS: dict[str, int] = {}


def _column(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    _COLUMNS[letters] = index - 1
    return index - 1


def _expat_rows(source, strings, date_styles, timedelta_styles, epoch):
    """Rows of a worksheet part. Names are matched without their namespace prefix."""
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.buffer_size = 1 << 16
    done: list[list[str]] = []
    # state: the row being built, its number, the cell's column, type and style, text parts
    row: list[str] = []
    state = {"row": 0, "col": -1, "type": "n", "style": None, "text": None, "rph": False}
    local_names: dict[str, str] = {}

    def local(name):
        found = local_names.get(name)
        if found is None:
            found = local_names[name] = name.rpartition(":")[2]
        return found

    def start(name, attrs):
        tag = local(name)
        if tag == "c":
            ref = attrs.get("r")
            if ref:
                letters = ref.rstrip("0123456789")
                col = _COLUMNS.get(letters)
                state["col"] = _column(letters) if col is None else col
            else:
                state["col"] += 1
            state["type"] = attrs.get("t", "n")
            state["style"] = attrs.get("s")
            state["text"] = None
        elif tag == "v" or (tag == "t" and not state["rph"]):
            if state["text"] is None:
                state["text"] = []
            parser.CharacterDataHandler = state["text"].append
        elif tag == "row":
            number = attrs.get("r")
            number = int(number) if number else state["row"] + 1
            while state["row"] < number - 1:  # rows the file leaves out are blank
                state["row"] += 1
                done.append([])
            state["row"] = number
            row.clear()
            state["col"] = -1
        elif tag == "rPh":
            state["rph"] = True

    def end(name):
        tag = local(name)
        if tag == "v" or tag == "t":
            parser.CharacterDataHandler = None
        elif tag == "c":
            parts = state["text"]
            if parts is None:
                return
            value = _cell_value(state["type"], state["style"], "".join(parts))
            col = state["col"]
            if col == len(row):
                row.append(value)
            elif col > len(row):
                row.extend([""] * (col - len(row)))
                row.append(value)
            else:
                row[col] = value
        elif tag == "row":
            done.append(row.copy())
        elif tag == "rPh":
            state["rph"] = False

    def _cell_value(kind, style, text):
        if kind == "n":
            if style is not None and int(style) in date_styles:
                try:
                    return cell_text(
                        from_excel(float(text), epoch, timedelta=int(style) in timedelta_styles)
                    )
                except (OverflowError, ValueError):
                    return "#VALUE!"
            return _number_text(text)
        if kind == "s":
            return strings[int(text)] or ""
        if kind == "b":
            return "TRUE" if text.strip() == "1" else "FALSE"
        if kind == "d":
            try:
                return cell_text(from_ISO8601(text))
            except ValueError:
                return text
        return text  # inlineStr, str (a formula's text), e (an error such as #N/A)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    with source:
        while chunk := source.read(_CHUNK):
            parser.Parse(chunk, False)
            yield from done
            done.clear()
        parser.Parse(b"", True)
        yield from done
