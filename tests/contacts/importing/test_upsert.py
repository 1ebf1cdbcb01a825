"""Upsert by (tenant, normalised phone): new, updated, unchanged, skipped; duplicates and invalid
rows reported; another tenant's contacts never read nor touched."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contacts import services
from contacts.importing import STATUSES
from contacts.models import Contact, ContactEvent

HEADER = "nome;telefone;email;cidade;plano\n"


def counts(report):
    return {status: n for status, n in report.counts.items() if n}


@pytest.fixture
def ana_contact(cast):
    return services.create_contact(
        cast.acme,
        name="Ana",
        phone="(11) 98765-4321",
        email="ana@velho.com",
        city="Santos",
        custom_fields={"plano": "prata", "origem": "feira"},
    )


def test_a_new_phone_creates_a_contact_from_the_import(cast, importer):
    report = importer(HEADER + "Bia;(21) 99876-5432;bia@x.com;Niterói;ouro\n")
    assert counts(report) == {"new": 1}
    bia = Contact.objects.get(tenant=cast.acme)
    assert (bia.phone, bia.source, bia.country) == ("+5521998765432", Contact.Source.IMPORT, "BR")
    assert bia.custom_fields == {"plano": "ouro"}


def test_an_existing_phone_in_any_writing_is_updated_and_custom_fields_merge(
    cast, importer, ana_contact
):
    report = importer(HEADER + "Ana Souza;5511987654321;ANA@novo.com;;ouro\n")
    assert counts(report) == {"updated": 1}
    ana = Contact.objects.get(pk=ana_contact.pk)
    assert (ana.name, ana.email) == ("Ana Souza", "ana@novo.com")
    assert ana.city == "Santos"  # an empty cell never erases what is stored
    assert ana.custom_fields == {"plano": "ouro", "origem": "feira"}
    assert ana.source == Contact.Source.MANUAL  # the source says how it was created
    assert report.preview[0].status == "updated"


def test_the_same_values_again_are_unchanged_and_write_nothing(cast, importer, ana_contact):
    before = Contact.objects.get(pk=ana_contact.pk)
    events = ContactEvent.objects.count()
    report = importer(HEADER + "Ana;+55 11 98765-4321;ana@velho.com;Santos;prata\n")
    assert counts(report) == {"unchanged": 1}
    assert Contact.objects.get(pk=ana_contact.pk).updated_at == before.updated_at
    assert ContactEvent.objects.count() == events


def table_writes():
    """Rows inserted, updated and deleted so far in this transaction, per contacts table."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_xact_user_tables "
            "WHERE relname LIKE 'contacts_%%' ORDER BY relname"
        )
        return cursor.fetchall()


def test_reimporting_a_file_changes_nothing_and_runs_no_write_statement(cast, importer):
    content = HEADER + "".join(
        f"Cliente {n};(11) 9{n:04d}-0000;c{n}@x.com;Campinas;ouro\n" for n in range(50)
    )
    assert counts(importer(content, tag_names=["feira"])) == {"new": 50}
    stamps = sorted(Contact.objects.values_list("updated_at", flat=True))
    events = ContactEvent.objects.count()
    writes_before = table_writes()
    assert dict((name, inserted) for name, inserted, _u, _d in writes_before)["contacts_contact"]
    with CaptureQueriesContext(connection) as queries:
        again = importer(content, tag_names=["feira"])
    assert counts(again) == {"unchanged": 50}
    assert sorted(Contact.objects.values_list("updated_at", flat=True)) == stamps
    assert ContactEvent.objects.count() == events
    # COPY runs on psycopg's own cursor, which CaptureQueriesContext does not see; PostgreSQL's
    # own counters of this transaction see every insert, update and delete, COPY included.
    assert table_writes() == writes_before
    writes = [
        q["sql"]
        for q in queries
        if q["sql"].split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE", "COPY")
    ]
    assert writes == []


def test_with_updating_off_existing_contacts_are_skipped_with_a_reason(cast, importer, ana_contact):
    report = importer(
        HEADER + "Ana Souza;11987654321;;;\nBia;21998765432;;;\n", update_existing=False
    )
    assert counts(report) == {"skipped": 1, "new": 1}
    skipped = next(outcome for outcome in report.preview if outcome.status == "skipped")
    assert (skipped.row_number, skipped.reason) == (
        1,
        "a contact with this phone already exists (updating is off)",
    )
    assert Contact.objects.get(pk=ana_contact.pk).name == "Ana"


def test_a_phone_twice_in_the_file_keeps_the_last_row_and_reports_the_others(cast, importer):
    report = importer(
        HEADER
        + "Primeira;11987654321;;;\n"
        + "Outra;21998765432;;;\n"
        + "Segunda;(11) 98765-4321;;;\n"
        + "Terceira;+55 11 98765-4321;;;\n"
    )
    assert counts(report) == {"new": 2, "duplicate": 2}
    assert Contact.objects.get(phone="+5511987654321").name == "Terceira"
    assert [(n, reason) for n, _raw, reason in report.rejected] == [
        (1, "the phone appears again in row 4, which was imported instead"),
        (3, "the phone appears again in row 4, which was imported instead"),
    ]


def test_invalid_phones_and_emails_reject_the_row_with_every_reason(cast, importer):
    report = importer(
        HEADER
        + "Sem número;;a@b.com;;\n"
        + "Curto;1234;ok@b.com;;\n"
        + "Dois erros;99;sem-arroba;;\n"
        + "Bom;11987654321;bom@b.com;;\n"
    )
    assert counts(report) == {"new": 1, "invalid": 3}
    reasons = [reason for _n, _raw, reason in report.rejected]
    assert reasons[0] == "telefone: Enter a phone number"
    assert reasons[1] == "telefone: 1234 is not a valid phone number"
    assert reasons[2] == (
        "email: “sem-arroba” is not a valid e-mail address; "
        "telefone: 99 is not a valid phone number"
    )
    assert report.rejected[2][1] == ["Dois erros", "99", "sem-arroba", "", ""]  # as read
    assert Contact.objects.count() == 1


def test_a_separate_ddd_column_completes_numbers_written_without_it(cast, importer):
    report = importer(
        "nome;ddd;celular\n"
        "Ana;11;98765-4321\n"  # mobile
        "Bia;(021);3456-7890\n"  # landline, DDD written with 0
        "Caio;31;8877-6655\n"  # old mobile: gains the 9
        "Duda;41;+55 51 99234-5678\n"  # the number has its own DDD
    )
    assert counts(report) == {"new": 4}
    assert sorted(Contact.objects.values_list("phone", flat=True)) == [
        "+5511987654321",
        "+552134567890",
        "+5531988776655",
        "+5551992345678",
    ]


def test_tags_cells_split_on_semicolons_and_commas(cast, importer):
    importer('telefone,tags\n11987654321,"vip; cliente,vip , Black  Friday"\n')
    contact = Contact.objects.get()
    assert sorted(contact.tags.values_list("name", flat=True)) == ["Black Friday", "cliente", "vip"]


def test_other_fields_are_cleaned(cast, importer):
    importer(
        "nome;telefone;nascimento;sexo;uf;cep;país;obs\n"
        "  Ana   Maria ;11987654321;5/3/87;Feminino;São Paulo;1310100;Brasil;  linha 1\n"
    )
    ana = Contact.objects.get()
    assert (ana.name, str(ana.birth_date), ana.gender, ana.state) == (
        "Ana Maria",
        "1987-03-05",
        "F",
        "SP",
    )
    assert (ana.zip_code, ana.country, ana.notes) == ("01310-100", "BR", "linha 1")


def test_the_same_phone_in_another_tenant_is_never_read_nor_touched(cast, importer):
    globex = services.create_contact(
        cast.globex, name="Globex", phone="(11) 98765-4321", custom_fields={"x": "1"}
    )
    services.create_contact(cast.acme, name="Other", phone="(21) 99876-5432")
    with CaptureQueriesContext(connection) as queries:
        report = importer(HEADER + "Acme Ana;11987654321;ana@acme.com;;ouro\n")
    assert counts(report) == {"new": 1}
    reads = [q["sql"] for q in queries if re.search(r'FROM "?contacts_contact"?\s', q["sql"])]
    assert any("phone = ANY" in sql for sql in reads)  # the lookup of existing contacts
    for sql in reads:
        assert re.search(rf"\btenant_id\"? = '{cast.acme.pk.hex}'::uuid", sql), sql
    untouched = Contact.objects.get(pk=globex.pk)
    assert (untouched.name, untouched.custom_fields) == ("Globex", {"x": "1"})
    assert Contact.objects.get(tenant=cast.acme, phone="+5511987654321").name == "Acme Ana"


def test_every_status_appears_in_the_preview_in_row_order(cast, importer, ana_contact):
    report = importer(
        HEADER + "Ana Souza;11987654321;;;\nBia;21998765432;;;\nX;1;;;\nBia;21998765432;;;\n"
    )
    assert [(o.row_number, o.status) for o in report.preview] == [
        (1, "updated"),
        (2, "duplicate"),
        (3, "invalid"),
        (4, "new"),
    ]
    assert set(report.counts) == set(STATUSES)
    new = next(o for o in report.preview if o.status == "new")
    assert new.values == {"name": "Bia", "phone": "+5521998765432"}
