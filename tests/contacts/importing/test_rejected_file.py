"""The downloadable file of rejected rows: Excel pt-BR friendly, safe, and importable again."""

import csv
import io

from contacts.importing import write_rejected_csv
from contacts.models import Contact
from tests.contacts.importing.conftest import SAMPLES, table_of


def rejected_file(importer, content, name="contatos.csv"):
    report = importer(content, name)
    output = io.BytesIO()
    write_rejected_csv(report, table_of(content, name).header, output)
    return output.getvalue()


def test_rejected_rows_come_back_with_their_columns_and_a_reason(cast, importer):
    data = rejected_file(importer, SAMPLES / "contatos-com-erros.csv")
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["nome", "whatsapp", "email", "nascimento", "uf", "tags", "Rejection reason"]
    assert [row[0] for row in rows[1:]] == [
        "Pedro Alves",
        "Telefone curto",
        "E-mail errado",
        "Data impossível",
        "Estado desconhecido",
        "Sem telefone",
    ]
    assert rows[2][-1] == "whatsapp: 12345 is not a valid phone number"


def test_formula_like_cells_are_escaped_and_the_import_reads_them_back(cast, importer):
    content = 'nome;telefone;email\n=HYPERLINK("x");+55 11 98765-4321;nada\n'
    data = rejected_file(importer, content)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[1][:3] == ['\'=HYPERLINK("x")', "'+55 11 98765-4321", "nada"]
    fixed = data.decode("utf-8-sig").replace(";nada;", ";ana@exemplo.com;")
    report = importer(fixed.encode("utf-8-sig"))
    assert report.counts["new"] == 1
    contact = Contact.objects.get()
    assert (contact.name, contact.phone) == ('=HYPERLINK("x")', "+5511987654321")


def test_a_text_file_object_is_written_too(cast, importer):
    report = importer("telefone\n123\n")
    output = io.StringIO()
    write_rejected_csv(report, ["telefone"], output)
    assert output.getvalue().splitlines()[1] == "123;telefone: 123 is not a valid phone number"
