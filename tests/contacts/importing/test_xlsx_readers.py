"""Both of our XLSX readers (regular expressions, and expat for unusual markup) give the cells
openpyxl gives, on what openpyxl, Excel and other producers write."""

import datetime
import io
import re
import zipfile

import pytest
from openpyxl import Workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from contacts.importing import SpreadsheetError
from contacts.importing import xlsx as xlsx_module
from tests.contacts.importing.conftest import table_of

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
TYPED_ROWS = [
    ["nome", "telefone", "quando", "hora", "sim", "valor", "conta", "rico"],
    [
        "Ana & Bia <sócias>",
        11987654321,
        datetime.date(1990, 5, 17),
        datetime.time(10, 30),
        True,
        3.14,
        "=1+2",
        CellRichText(["a", TextBlock(InlineFont(b=True), "b")]),
    ],
    [None, 5511987654321.0, datetime.datetime(2001, 2, 3, 4, 5, 6), None, False, 0.1 + 0.2],
    [],
    ["  espaço  ", "linha 1\nlinha 2", datetime.datetime(1980, 1, 1), None, None, 1e20, -5, "x"],
]


def workbook_bytes(rows, *, write_only=False):
    workbook = Workbook(write_only=write_only)
    sheet = workbook.create_sheet() if write_only else workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def with_parts(data: bytes, **parts: str) -> bytes:
    """The workbook with some parts replaced (sheet=..., strings=...); strings are declared."""
    names = {"sheet": "xl/worksheets/sheet1.xml", "strings": "xl/sharedStrings.xml"}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        present = set(source.namelist())
        for item in source.infolist():
            content = source.read(item.filename)
            for key, name in names.items():
                if item.filename == name and key in parts:
                    content = parts[key].encode()
            if "strings" in parts and names["strings"] not in present:
                if item.filename == "[Content_Types].xml":
                    content = content.replace(
                        b"</Types>",
                        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                        b"</Types>",
                    )
                elif item.filename == "xl/_rels/workbook.xml.rels":
                    content = content.replace(
                        b"</Relationships>",
                        b'<Relationship Id="rIdSS" Type="http://schemas.openxmlformats.org/'
                        b'officeDocument/2006/relationships/sharedStrings" '
                        b'Target="sharedStrings.xml"/></Relationships>',
                    )
            target.writestr(item, content)
        if "strings" in parts and names["strings"] not in present:
            target.writestr(names["strings"], parts["strings"])
    return out.getvalue()


def squared(rows):
    """Rows padded to one width, trailing blank rows dropped: how readers may differ harmlessly."""
    rows = [list(row) for row in rows]
    while rows and not any(rows[-1]):
        rows.pop()
    width = max((len(row) for row in rows), default=0)
    return [row + [""] * (width - len(row)) for row in rows]


def read_both(data: bytes):
    book = xlsx_module.Book(io.BytesIO(data))
    convert = xlsx_module._Cells(
        book.shared_strings(), book.date_styles, book.timedelta_styles, book.epoch
    )
    with book.archive.open(book.sheet) as source:
        plain = xlsx_module._plain_stream(source)
    regex = None
    if plain:  # the regular expressions are only asked what they can read
        regex = squared(xlsx_module._regex_rows(book.archive.open(book.sheet), convert))
    expat = list(xlsx_module._expat_rows(book.archive.open(book.sheet), convert))
    book.close()
    return plain, regex, squared(expat)


def reference(data: bytes):
    return squared(xlsx_module.openpyxl_rows(io.BytesIO(data)))


@pytest.mark.parametrize("write_only", [False, True], ids=["inline-strings", "shared-strings"])
def test_openpyxl_workbooks_read_the_same_three_ways(write_only):
    data = workbook_bytes(TYPED_ROWS, write_only=write_only)
    plain, regex, expat = read_both(data)
    assert plain
    assert regex == expat == reference(data)
    assert regex[1][:7] == [
        "Ana & Bia <sócias>",
        "11987654321",
        "17/05/1990",
        "10:30",
        "TRUE",
        "3.14",
        "",
    ]
    assert regex[1][7] == "ab"  # rich text, its runs joined
    assert regex[2][1:6] == ["5511987654321", "03/02/2001 04:05:06", "", "FALSE", "0.3"]
    assert regex[4][1] == "linha 1\nlinha 2"


def date_style(data: bytes) -> str:
    """The style index openpyxl gave its date cells in this workbook."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    return re.search(r'<c r="C2" s="(\d+)"', sheet).group(1)


def excel_like(prefix=""):
    """Markup as Excel and other producers write it, every feature the readers must know."""
    base = workbook_bytes(TYPED_ROWS)
    date = date_style(base)
    p = f"{prefix}:" if prefix else ""
    namespace = f'xmlns{":" + prefix if prefix else ""}="{MAIN}"'
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
        f'<{p}worksheet {namespace}><{p}dimension ref="A1:F6"/><{p}sheetData>'
        f'<{p}row r="1" spans="1:6"><{p}c r="A1" t="s"><{p}v>0</{p}v></{p}c>'
        f'<{p}c r="B1" t="s"><{p}v>1</{p}v></{p}c><{p}c r="C1" t="s"><{p}v>2</{p}v></{p}c></{p}row>'
        # attributes in another order, an extra attribute, a cell without r, a gap
        f'<{p}row r="2"><{p}c t="s" r="A2" s="0"><{p}v>3</{p}v></{p}c>'
        f'<{p}c r="B2" s="0" cm="1"><{p}v>1.1987654321E10</{p}v></{p}c>'
        f'<{p}c s="{date}"><{p}v>32980</{p}v></{p}c>'
        f'<{p}c r="E2" t="str"><{p}f>A2&amp;"x"</{p}f><{p}v>a &amp; b</{p}v></{p}c>'
        f'<{p}c r="F2" t="e"><{p}v>#N/A</{p}v></{p}c></{p}row>'
        # rows 3-4 left out; row 5: inline strings with runs, phonetics, entities, line ends
        f'<{p}row r="5"><{p}c r="A5" t="inlineStr"><{p}is><{p}r><{p}t>Jo</{p}t></{p}r>'
        f'<{p}r><{p}rPr><{p}b/></{p}rPr><{p}t xml:space="preserve">ão </{p}t></{p}r>'
        f'<{p}rPh sb="0" eb="1"><{p}t>ジョ</{p}t></{p}rPh></{p}is></{p}c>'
        f'<{p}c r="B5" t="inlineStr"><{p}is><{p}t>1&#10;2&lt;3\r\n4</{p}t></{p}is></{p}c>'
        f'<{p}c r="C5" t="b"><{p}v>1</{p}v></{p}c><{p}c r="D5" s="0"/>'
        f'<{p}c r="E5" t="s"><{p}v>4</{p}v></{p}c></{p}row>'
        f'<{p}row r="6"><{p}c r="F6"><{p}v>-0.5</{p}v></{p}c></{p}row>'
        f'</{p}sheetData><{p}pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" '
        f'header="0.3" footer="0.3"/></{p}worksheet>'
    )
    strings = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<{p}sst {namespace} count="5" uniqueCount="5">'
        f"<{p}si><{p}t>Nome</{p}t></{p}si><{p}si><{p}t>Celular</{p}t></{p}si>"
        f"<{p}si><{p}t>Nascimento</{p}t></{p}si>"
        f"<{p}si><{p}r><{p}t>Sebasti</{p}t></{p}r><{p}r><{p}rPr><{p}i/></{p}rPr>"
        f"<{p}t>ão &amp; Cia</{p}t></{p}r>"
        f'<{p}rPh sb="0" eb="2"><{p}t>セバ</{p}t></{p}rPh></{p}si>'
        f'<{p}si><{p}t xml:space="preserve"> _x005F_x000D_ </{p}t></{p}si>'
        f"</{p}sst>"
    )
    return with_parts(base, sheet=sheet, strings=strings)


def test_excel_markup_reads_the_same_three_ways():
    data = excel_like()
    plain, regex, expat = read_both(data)
    assert plain
    assert regex == expat == reference(data)
    assert regex[0][:3] == ["Nome", "Celular", "Nascimento"]
    assert regex[1] == ["Sebastião & Cia", "11987654321", "17/04/1990", "", "a & b", "#N/A"]
    assert regex[2:4] == [[""] * 6, [""] * 6]
    assert regex[4][:5] == ["João ", "1\n2<3\n4", "TRUE", "", " _x000D_ "]
    assert regex[5][5] == "-0.5"


@pytest.mark.parametrize("prefix", ["x", "ss"])
def test_prefixed_markup_goes_to_expat_and_reads_the_same(prefix):
    data = excel_like(prefix)
    plain, _regex, expat = read_both(data)
    assert not plain
    assert expat == reference(data) == squared(table_rows(data))


def table_rows(data):
    table = table_of(data, "x.xlsx")
    return [table.header, *table.rows]


def test_cdata_goes_to_expat_and_reads_the_same():
    base = workbook_bytes([["nome", "telefone"], ["Ana", "11987654321"]])
    with zipfile.ZipFile(io.BytesIO(base)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    sheet = sheet.replace("<t>Ana</t>", "<t><![CDATA[Ana <CDATA>]]></t>")
    data = with_parts(base, sheet=sheet)
    plain, _regex, expat = read_both(data)
    assert not plain
    assert expat == reference(data) == [["nome", "telefone"], ["Ana <CDATA>", "11987654321"]]


def test_a_sheet_cut_short_is_refused_by_either_reader():
    base = workbook_bytes([["nome", "telefone"], *[[f"C{n}", "11987654321"] for n in range(50)]])
    with zipfile.ZipFile(io.BytesIO(base)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    cut = sheet[: sheet.index("</sheetData>") - 40]
    for markup in (cut, cut.replace("<row", "<!-- x --><row", 1)):  # regex, then expat
        table = table_of(with_parts(base, sheet=markup), "x.xlsx")
        with pytest.raises(SpreadsheetError, match="or it is damaged"):
            list(table.rows)
