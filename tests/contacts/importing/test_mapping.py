"""Columns find their field from Portuguese or English headers; the user's choice is checked."""

import pytest

from contacts.importing import SpreadsheetError, guess_mapping, validate_mapping


@pytest.mark.parametrize(
    ("title", "target"),
    [
        ("Nome", "name"),
        ("NAME", "name"),
        ("Nome completo", "name"),
        ("Telefone", "phone"),
        ("celular", "phone"),
        ("WhatsApp", "phone"),
        ("Fone", "phone"),
        ("Phone", "phone"),
        ("Mobile", "phone"),
        ("DDD", "ddd"),
        ("E-mail", "email"),
        ("email", "email"),
        ("Cidade", "city"),
        ("City", "city"),
        ("Estado", "state"),
        ("UF", "state"),
        ("state", "state"),
        ("Nascimento", "birth_date"),
        ("Data de Nascimento", "birth_date"),
        ("Birth date", "birth_date"),
        ("birthday", "birth_date"),
        ("Sexo", "gender"),
        ("Gênero", "gender"),
        ("gender", "gender"),
        ("CEP", "zip_code"),
        ("ZIP", "zip_code"),
        ("Observações", "notes"),
        ("OBSERVACOES", "notes"),
        ("notes", "notes"),
        ("Tags", "tags"),
        ("Etiquetas", "tags"),
        ("País", "country"),
    ],
)
def test_portuguese_and_english_headers_find_their_field(title, target):
    assert guess_mapping([title]) == {0: target}


def test_case_accents_and_punctuation_do_not_matter():
    assert guess_mapping(["  TELEFONE ", "e_mail", "Observaçôes", "dáta  de NASCIMENTO"]) == {
        0: "phone",
        1: "email",
        2: "notes",
        3: "birth_date",
    }


def test_unknown_headers_become_custom_fields_with_a_simple_key():
    assert guess_mapping(["Nome", "Plano Contratado", "Vendedor(a)", "plano contratado"]) == {
        0: "name",
        1: "custom:plano_contratado",
        2: "custom:vendedor_a",
        3: "custom:plano_contratado_2",
    }


def test_empty_headers_are_ignored():
    assert guess_mapping(["telefone", "", "  ", "###"]) == {
        0: "phone",
        1: "ignore",
        2: "ignore",
        3: "ignore",
    }


def test_with_telefone_and_celular_the_mobile_is_the_phone_and_the_other_is_kept():
    assert guess_mapping(["Telefone", "Celular"]) == {0: "custom:telefone", 1: "phone"}


def test_the_reason_column_of_our_rejected_file_is_ignored_on_reimport():
    assert guess_mapping(["telefone", "Rejection reason", "Motivo da rejeição"]) == {
        0: "phone",
        1: "ignore",
        2: "ignore",
    }


def test_a_mapping_without_a_phone_column_is_refused(english_messages):
    with pytest.raises(SpreadsheetError, match="Choose the column with the phone numbers"):
        validate_mapping({0: "name", 1: "email"}, ["Nome", "E-mail"])


def test_two_columns_for_one_field_are_refused_naming_both():
    with pytest.raises(SpreadsheetError, match="“Fixo” and “Celular” both go to Phone"):
        validate_mapping({0: "phone", 1: "phone"}, ["Fixo", "Celular"])


def test_an_unknown_target_is_refused():
    with pytest.raises(SpreadsheetError, match="unknown field"):
        validate_mapping({0: "phone", 1: "salary"}, ["tel", "salário"])


def test_ignored_and_custom_columns_are_fine():
    validate_mapping(
        {0: "phone", 1: "ignore", 2: "ignore", 3: "custom:plano"}, ["a", "b", "c", "d"]
    )
