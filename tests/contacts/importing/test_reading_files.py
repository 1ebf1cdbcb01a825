"""Every kind of file a user may upload: read right, or refused with a message saying why."""

import io
import zipfile

import pytest
from openpyxl import Workbook

from contacts.importing import MAX_FILE_BYTES, SpreadsheetError, read_table
from tests.contacts.importing.conftest import SAMPLES, table_of

HEADER = ["nome", "telefone", "cidade"]
ROWS = [["João", "(11) 98765-4321", "São Paulo"], ["Zoë", "21 99876-5432", "Niterói"]]


def csv_bytes(delimiter=";", encoding="utf-8"):
    lines = [delimiter.join(HEADER), *(delimiter.join(row) for row in ROWS)]
    return "\r\n".join(lines).encode(encoding)


def rows_of(table):
    return [row for row in table.rows if any(row)]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "latin-1", "cp1252", "utf-16"])
def test_csv_in_any_common_encoding_reads_accents_right(encoding):
    table = table_of(csv_bytes(encoding=encoding))
    assert table.header == HEADER
    assert rows_of(table) == ROWS
    assert table.total_rows == 2


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_the_delimiter_is_found_from_the_header_line(delimiter):
    table = table_of(csv_bytes(delimiter=delimiter))
    assert (table.header, rows_of(table)) == (HEADER, ROWS)


def test_a_comma_inside_quotes_does_not_decide_the_delimiter():
    table = table_of('"Silva, Ana";telefone\n"Souza, Bia";11987654321\n')
    assert table.header == ["Silva, Ana", "telefone"]


def test_windows_1252_quotes_and_dashes_survive():
    text = "nome;obs\nAna;“ótimo” \u2013 cliente\n"  # curly quotes and an en dash
    table = table_of(text.encode("cp1252"))
    assert rows_of(table) == [["Ana", "“ótimo” \u2013 cliente"]]


def test_rows_keep_their_spreadsheet_line_with_blank_lines_in_between():
    table = table_of("nome;telefone\n\nAna;11987654321\n;\nBia;11987654322\n")
    assert table.total_rows == 2
    assert list(table.rows) == [[], ["Ana", "11987654321"], ["", ""], ["Bia", "11987654322"]]


@pytest.mark.parametrize("content", [b"", b"   \r\n\r\n  "])
def test_an_empty_file_is_refused_as_empty(content):
    with pytest.raises(SpreadsheetError, match="The file is empty"):
        table_of(content)


def test_a_header_without_rows_is_refused():
    with pytest.raises(SpreadsheetError, match="header but no rows"):
        table_of("nome;telefone\r\n;\r\n")


@pytest.mark.parametrize(
    "content",
    [b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", b"PK\x03\x04\x14\x00zipped", b"abc\x00\x01\x02\xff"],
)
def test_a_binary_file_named_csv_is_refused(content):
    with pytest.raises(SpreadsheetError, match="not a CSV text file"):
        table_of(content, "clientes.csv")


@pytest.mark.parametrize("name", ["clientes.pdf", "clientes.ods", "clientes", "fotos.zip"])
def test_an_unknown_extension_is_refused_naming_the_formats(name):
    with pytest.raises(SpreadsheetError, match=r"send a \.csv or \.xlsx file"):
        table_of(csv_bytes(), name)


def test_an_old_xls_file_is_told_to_be_saved_as_xlsx():
    with pytest.raises(SpreadsheetError, match=r"old Excel format \(\.xls\)"):
        table_of(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "clientes.xls")


# --- size -------------------------------------------------------------------------------------
def big_csv(size: int) -> bytes:
    line = b"Maria da Silva Pereira;(11) 98765-4321;maria.silva@exemplo.com.br;Sao Paulo;SP\n"
    head = b"nome;telefone;email;cidade;uf\n"
    body = line * ((size - len(head)) // len(line) + 1)
    return (head + body)[:size]


def test_a_50_mb_file_is_accepted():
    data = big_csv(MAX_FILE_BYTES)
    table = table_of(data)
    assert table.total_rows == data.count(b"\n")  # the last line is cut, still a row


def test_a_file_over_50_mb_is_refused_naming_the_limit():
    with pytest.raises(SpreadsheetError, match="the limit is 50 MB") as refused:
        table_of(big_csv(MAX_FILE_BYTES + 1))
    assert "Split it into smaller files" in refused.value.message


# --- XLSX -------------------------------------------------------------------------------------
def test_the_sample_workbook_reads_numbers_dates_and_text_as_typed():
    table = table_of(SAMPLES / "contatos-exemplo.xlsx")
    assert table.header[:3] == ["Nome", "Telefone", "DDD"]
    first = next(iter(table.rows))
    assert first[:3] == ["Fernanda Rocha", "987651234", "11"]
    assert first[6] == "21/08/1991"  # a date cell
    assert first[8] == "13010000"  # a number: no ".0"
    assert table.total_rows == 5


def workbook_bytes(rows):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "content",
    [b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", b"just some text, renamed", b""],
    ids=["pdf", "text", "empty"],
)
def test_a_file_that_is_not_a_workbook_is_refused(content):
    with pytest.raises(SpreadsheetError, match=r"(not an Excel workbook|The file is empty)"):
        table_of(content, "clientes.xlsx")


def test_a_zip_that_is_not_a_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("fotos/praia.txt", "não é planilha")
    with pytest.raises(SpreadsheetError, match="not an Excel workbook"):
        table_of(buffer.getvalue(), "clientes.xlsx")


def test_a_password_protected_workbook_is_told_so():
    with pytest.raises(SpreadsheetError, match="password-protected"):
        table_of(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "clientes.xlsx")


def zip_bomb(expanded: int) -> bytes:
    """A workbook whose sheet is ``expanded`` bytes of zeros: a few hundred KB of zip."""
    data = workbook_bytes([["nome", "telefone"], ["Ana", "11987654321"]])
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            if item.filename == "xl/worksheets/sheet1.xml":
                with target.open(item.filename, "w") as sheet:
                    block = b"\x00" * (1 << 20)
                    for _ in range(expanded // len(block)):
                        sheet.write(block)
            else:
                target.writestr(item, source.read(item.filename))
    return out.getvalue()


def test_an_xlsx_zip_bomb_is_refused_before_it_is_opened():
    bomb = zip_bomb(300 * 1024 * 1024)
    assert len(bomb) < 1024 * 1024  # 300 MB inside less than 1 MB
    with pytest.raises(SpreadsheetError, match="would expand to 300 MB") as refused:
        table_of(bomb, "clientes.xlsx")
    assert "the limit is 200 MB" in refused.value.message


def test_a_small_archive_that_compresses_too_well_is_refused_too():
    with pytest.raises(SpreadsheetError, match="compressed at most 100 times"):
        table_of(zip_bomb(50 * 1024 * 1024), "clientes.xlsx")


def test_a_workbook_with_a_header_only_is_refused():
    with pytest.raises(SpreadsheetError, match="header but no rows"):
        table_of(workbook_bytes([["nome", "telefone"], [None, None]]), "vazia.xlsx")


def test_an_empty_workbook_is_refused():
    with pytest.raises(SpreadsheetError, match="The file is empty"):
        table_of(workbook_bytes([]), "vazia.xlsx")


def test_read_table_accepts_a_django_uploaded_file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("clientes.csv", csv_bytes())
    table = read_table(upload, upload.name)
    assert (table.header, table.filename) == (HEADER, "clientes.csv")
