"""The sample files in fixtures/spreadsheets import as a user would expect."""

from contacts.importing import guess_mapping
from contacts.models import Contact, Tag
from tests.contacts.importing.conftest import SAMPLES, table_of


def acme_contact(cast, phone):
    return Contact.objects.for_tenant(cast.acme).get(phone=phone)


def test_the_portuguese_latin1_sample_imports_every_row(cast, importer):
    report = importer(SAMPLES / "contatos-exemplo.csv")
    assert report.counts == {
        "new": 6,
        "updated": 0,
        "unchanged": 0,
        "skipped": 0,
        "invalid": 0,
        "duplicate": 0,
    }
    maria = acme_contact(cast, "+5531988776655")  # (31) 8877-6655: gained the ninth digit
    assert (maria.name, maria.city, maria.state) == ("Maria da Conceição", "Belo Horizonte", "MG")
    assert maria.custom_fields == {"plano": "bronze"}
    joao = acme_contact(cast, "+554133221100")
    assert (joao.state, joao.zip_code, str(joao.birth_date)) == ("PR", "80010-000", "1992-02-29")
    luiza = acme_contact(cast, "+5585991234567")
    assert (luiza.email, str(luiza.birth_date)) == ("luiza.f@exemplo.com", "2001-07-07")
    assert sorted(luiza.tags.values_list("name", flat=True)) == ["cliente", "newsletter"]
    assert Tag.objects.get(tenant=cast.acme, name="cliente").contact_count == 3


def test_the_english_sample_imports_with_custom_company(cast, importer):
    report = importer(SAMPLES / "contacts-sample.csv")
    assert report.counts["new"] == 4
    beatriz = acme_contact(cast, "+5562991112233")
    assert beatriz.custom_fields == {"company": "Costa, Beatriz ME"}
    assert acme_contact(cast, "+557133445566").state == "BA"


def test_the_xlsx_sample_merges_the_ddd_column(cast, importer):
    table = table_of(SAMPLES / "contatos-exemplo.xlsx")
    assert guess_mapping(table.header)[2] == "ddd"
    report = importer(SAMPLES / "contatos-exemplo.xlsx")
    assert report.counts["new"] == 5, report.rejected
    fernanda = acme_contact(cast, "+5511987651234")
    assert (fernanda.gender, fernanda.zip_code, str(fernanda.birth_date)) == (
        "F",
        "13010-000",
        "1991-08-21",
    )
    assert acme_contact(cast, "+556132221100").state == "DF"  # 61 + landline
    assert acme_contact(cast, "+5592991234567").name == "Júlia Barbosa"  # 92 + old mobile


def test_the_sample_with_errors_reports_each_problem(cast, importer):
    report = importer(SAMPLES / "contatos-com-erros.csv")
    assert report.counts == {
        "new": 2,
        "updated": 0,
        "unchanged": 0,
        "skipped": 0,
        "invalid": 5,
        "duplicate": 1,
    }
    reasons = {number: reason for number, _raw, reason in report.rejected}
    assert set(reasons) == {1, 2, 3, 4, 5, 7}
    assert "12345 is not a valid phone number" in reasons[2]
    assert "sem-arroba.exemplo.com" in reasons[3] and "e-mail" in reasons[3]
    assert "31/02/1990" in reasons[4]
    assert "XX" in reasons[5]
    assert "row 6" in reasons[1]  # Pedro Alves again in row 6: the last one wins
    assert "Enter a phone number" in reasons[7]
    pedro = acme_contact(cast, "+5511988887777")
    assert pedro.email == "pedro.novo@exemplo.com"
