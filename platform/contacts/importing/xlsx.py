"""XLSX workbooks: the first sheet's rows as text, after checking the archive is no zip bomb.

openpyxl finds the workbook's parts (content types, workbook, relationships) and reads its styles
(which number formats are dates) and its 1900/1904 epoch. The shared strings and the sheet's rows
are read here, from the XML itself: openpyxl's read-only mode costs about 8 µs a cell plus 15 µs
a shared string (14 s for 100,000 rows of 12 columns on the development machine), which alone
would make an XLSX import three times slower than the same CSV.

Two readers give the same text for every cell, by openpyxl's rules (``parse_cell`` with
``data_only=True``): regular expressions over the decompressed XML for the markup every common
producer writes (Excel, LibreOffice, Google Sheets, openpyxl, xlsxwriter), about 1.3 µs a cell;
and expat, a full XML parser, for anything else (namespace prefixes, CDATA, comments, another
encoding). The tests compare both with openpyxl cell by cell.
"""

import codecs
import datetime
import html
import io
import logging
import re
import zipfile
from itertools import chain
from xml.parsers import expat

from django.utils.translation import gettext_lazy as _
from openpyxl import load_workbook
from openpyxl.reader.excel import SHARED_STRINGS, ExcelReader
from openpyxl.reader.strings import read_string_table
from openpyxl.styles.stylesheet import apply_stylesheet
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
        book = Book(buffer)
    except SpreadsheetError:
        raise
    except Exception:  # openpyxl raises many kinds of errors for what is not a workbook
        logger.info("unreadable xlsx", exc_info=True)
        raise _not_a_workbook() from None
    rows = _guarded(book.rows(), book)
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
    declared = book.last_row
    total = declared - header_number if declared and declared > header_number else None
    return header, chain(blanks, rows), total


def _guarded(rows, book):
    try:
        yield from rows
    except SpreadsheetError:
        raise
    except Exception:  # a damaged part shows only once it is read
        logger.info("xlsx failed while reading rows", exc_info=True)
        raise _not_a_workbook() from None
    finally:
        book.close()


class Book:
    """The parts of a workbook this import needs, found by openpyxl."""

    def __init__(self, buffer):
        reader = ExcelReader(buffer, read_only=True, data_only=True)
        reader.read_manifest()
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)
        self.archive = reader.archive
        self.epoch = reader.wb.epoch
        self.date_styles = reader.wb._date_formats
        self.timedelta_styles = reader.wb._timedelta_formats
        self.sheet = next(
            (
                rel.target
                for _sheet, rel in reader.parser.find_sheets()
                if rel.target in reader.valid_files and "chartsheet" not in rel.Type
            ),
            None,
        )
        if self.sheet is None:
            raise SpreadsheetError(_("The workbook has no sheet with rows."))
        strings = reader.package.find(SHARED_STRINGS)
        self.strings_part = strings.PartName[1:] if strings is not None else None
        with self.archive.open(self.sheet) as head:
            found = _DIMENSION.search(head.read(1 << 16).decode("utf-8", "replace"))
        self.last_row = int(found.group(1)) if found else None

    def close(self):
        self.archive.close()

    def shared_strings(self) -> list[str]:
        if self.strings_part is None:
            return []
        with self.archive.open(self.strings_part) as source:
            xml = source.read()
        text = _plain_xml(xml)
        if text is None:
            with self.archive.open(self.strings_part) as source:
                return [value or "" for value in read_string_table(source)]
        return _regex_strings(text)

    def rows(self):
        """Every row of the sheet as a list of text, blank rows included (row n is line n)."""
        strings = self.shared_strings()
        with self.archive.open(self.sheet) as source:
            plain = _plain_stream(source)
        convert = _Cells(strings, self.date_styles, self.timedelta_styles, self.epoch)
        source = self.archive.open(self.sheet)
        if plain:
            return _regex_rows(source, convert)
        return _expat_rows(source, convert)


def openpyxl_rows(fileobj):
    """The first sheet as openpyxl's read-only mode reads it: the reference for the tests."""
    workbook = load_workbook(fileobj, read_only=True, data_only=True)
    try:
        for row in workbook.worksheets[0].iter_rows(values_only=True):
            yield [cell_text(value) for value in row]
    finally:
        workbook.close()


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


class _Cells:
    """A cell's XML text to the text openpyxl would give (with ``data_only=True``)."""

    def __init__(self, strings, date_styles, timedelta_styles, epoch):
        self.strings, self.epoch = strings, epoch
        self.date_styles = {str(style) for style in date_styles}
        self.timedelta_styles = {str(style) for style in timedelta_styles}

    def value(self, kind: str | None, style: str | None, text: str) -> str:
        if kind is None or kind == "n":
            if style is not None and style in self.date_styles:
                moment = style in self.timedelta_styles
                try:
                    return cell_text(from_excel(float(text), self.epoch, timedelta=moment))
                except (OverflowError, ValueError):
                    return "#VALUE!"
            return _number_text(text) if text else ""
        if kind == "s":
            return self.strings[int(text)] if text else ""
        if kind == "b":
            return ("TRUE" if text.strip() == "1" else "FALSE") if text else ""
        if kind == "d":
            try:
                return cell_text(from_ISO8601(text))
            except ValueError:
                return text
        return text  # inlineStr, str (a formula's text), e (an error such as #N/A)


# --- the regular-expression reader --------------------------------------------------------------
_DIMENSION = re.compile(r"<dimension\s+ref=\"[A-Z]*\d*(?::[A-Z]*(\d+))?\"")
_DECLARED_ENCODING = re.compile(rb"""<\?xml[^>]*encoding=["']([^"']+)["']""")
# What the regular expressions do not handle: then expat reads the part.
_NOT_PLAIN = re.compile(r"<!\[CDATA\[|<!--|</?\w+:(?:sheetData|row|c|v|f|is|t|r|rPh|si)\b")
_ROW = re.compile(r"<row(?=[\s/>])([^>]*?)(?:/>|>(.*?)</row>)", re.S)
_ROW_NUMBER = re.compile(r"\sr=[\"'](\d+)")
# Attributes in the order every common producer writes them (r, s, t); others: _ATTRIBUTE
_CELL = re.compile(
    r"<c(?=[\s/>])(?: r=\"([A-Z]{1,3})\d+\")?(?: s=\"(\d+)\")?(?: t=\"(\w+)\")?([^>]*?)"
    r"(?:/>|>(.*?)</c>)",
    re.S,
)
_ATTRIBUTE = re.compile(r"""(\w+)\s*=\s*["']([^"']*)["']""")
_VALUE = re.compile(r"<v(?:\s[^>]*)?>([^<]*)</v>")
_TEXT = re.compile(r"<t(?:\s[^>]*)?>([^<]*)</t>")
_PHONETIC = re.compile(r"<rPh\b.*?</rPh>", re.S)
_SHEET_END = re.compile(r"</sheetData>|<sheetData\s*/>")
_STRING = re.compile(r"<si>(.*?)</si>|<si\s*/>", re.S)


def _plain_head(head: bytes) -> bool:
    declared = _DECLARED_ENCODING.search(head[:200])
    encoding = declared.group(1).decode("ascii", "replace").lower() if declared else "utf-8"
    return encoding in ("utf-8", "utf8") and not head.startswith((b"\xff\xfe", b"\xfe\xff"))


def _plain_xml(xml: bytes) -> str | None:
    """The part as text if the regular expressions can read it, else None."""
    if not _plain_head(xml):
        return None
    text = xml.decode("utf-8")
    return None if _NOT_PLAIN.search(text) else text


def _plain_stream(source) -> bool:
    """Whether the regular expressions can read this part: a pass over it, decompressing."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    first, tail = True, ""
    while chunk := source.read(_CHUNK):
        if first and not _plain_head(chunk):
            return False
        first = False
        text = tail + decoder.decode(chunk)
        if _NOT_PLAIN.search(text):
            return False
        tail = text[-32:]  # a marker cut in two by the chunk boundary
    return True


def _xml_text(text: str) -> str:
    """Character data as an XML parser gives it: entities resolved, line ends as \\n."""
    if "&" in text:
        text = html.unescape(text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _inline_text(content: str) -> str:
    if content.startswith("<is><t>") and content.endswith("</t></is>") and content.count("<") == 4:
        return content[7:-9]
    if "<rPh" in content:
        content = _PHONETIC.sub("", content)
    return "".join(_TEXT.findall(content))


def _regex_strings(text: str) -> list[str]:
    strings = []
    for found in _STRING.finditer(text):
        content = found.group(1) or ""
        if "<rPh" in content:
            content = _PHONETIC.sub("", content)
        value = _xml_text("".join(_TEXT.findall(content)))
        strings.append(value.replace("x005F_", "") if "x005F_" in value else value)
    return strings


def _regex_rows(source, convert: _Cells):
    decoder = codecs.getincrementaldecoder("utf-8")()
    number, rest = 0, ""
    with source:
        while True:
            chunk = source.read(_CHUNK)
            text = rest + decoder.decode(chunk, final=not chunk)
            if chunk:
                cut = text.rfind("</row>")
                if cut < 0:
                    rest = text
                    continue
                text, rest = text[: cut + 6], text[cut + 6 :]
            for found in _ROW.finditer(text):
                declared = _ROW_NUMBER.search(found.group(1))
                declared = int(declared.group(1)) if declared else number + 1
                while number < declared - 1:  # rows the file leaves out are blank
                    number += 1
                    yield []
                number = declared
                body = found.group(2)
                yield _regex_cells(body, convert) if body else []
            if not chunk:
                # A well-formed sheet goes on after its last row; a cut one does not (a damaged
                # zip member fails its CRC check instead).
                if not _SHEET_END.search(text[text.rfind("</row>") + 1 :]):
                    raise ValueError("the sheet's XML ends before </sheetData>")
                return


def _regex_cells(body: str, convert: _Cells) -> list[str]:
    row: list[str] = []
    column = -1
    for letters, style, kind, other, content in _CELL.findall(body):
        if "=" in other:  # attributes in another order, or others: read the rest too
            attributes = dict(_ATTRIBUTE.findall(other))
            letters = attributes.get("r", "").rstrip("0123456789") or letters
            style, kind = attributes.get("s", style), attributes.get("t", kind)
        if letters:
            found = _COLUMNS.get(letters)
            column = _column(letters) if found is None else found
        else:
            column += 1
        if not content:
            continue
        if kind == "inlineStr":
            text = _xml_text(_inline_text(content))
        elif content.startswith("<v>") and content.endswith("</v>") and content.count("<") == 2:
            text = _xml_text(content[3:-4])
        else:
            value = _VALUE.search(content)
            if value is None:
                continue
            text = _xml_text(value.group(1))
        value = convert.value(kind or None, style or None, text)
        size = len(row)
        if column == size:
            row.append(value)
        elif column > size:
            row.extend([""] * (column - size))
            row.append(value)
        else:
            row[column] = value
    return row


# --- the expat reader ---------------------------------------------------------------------------
def _expat_rows(source, convert: _Cells):
    """Rows of a worksheet part with a full XML parser. Names are matched without their
    namespace prefix."""
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.buffer_size = 1 << 16
    done: list[list[str]] = []
    row: list[str] = []
    state = {"row": 0, "col": -1, "type": None, "style": None, "text": None, "rph": False}
    local_names: dict[str, str] = {}

    def local(name):
        found = local_names.get(name)
        if found is None:
            found = local_names[name] = name.rpartition(":")[2]
        return found

    def start(name, attrs):
        tag = local(name)
        if tag == "c":
            ref = next((value for key, value in attrs.items() if local(key) == "r"), None)
            if ref:
                letters = ref.rstrip("0123456789")
                col = _COLUMNS.get(letters)
                state["col"] = _column(letters) if col is None else col
            else:
                state["col"] += 1
            state["type"] = attrs.get("t")
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
            value = convert.value(state["type"], state["style"], "".join(parts))
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

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    with source:
        while chunk := source.read(_CHUNK):
            parser.Parse(chunk, False)
            yield from done
            done.clear()
        parser.Parse(b"", True)
        yield from done
