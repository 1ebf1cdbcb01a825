"""Cells to stored values: dates, states, genders, CEPs, e-mails."""

import datetime

import pytest

from contacts.importing import values

TODAY = datetime.date(2026, 11, 25)


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("17/05/1990", "1990-05-17"),
        ("7/5/1990", "1990-05-07"),
        ("17-05-1990", "1990-05-17"),
        ("17.05.1990", "1990-05-17"),
        ("17/05/90", "1990-05-17"),
        ("17/05/05", "2005-05-17"),
        ("17/05/26", "2026-05-17"),
        ("1990-05-17", "1990-05-17"),
        ("1990-05-17 00:00:00", "1990-05-17"),
        ("17/05/1990 00:00", "1990-05-17"),
    ],
)
def test_dates_in_brazilian_and_iso_writing(text, date):
    assert values.birth_date(text, TODAY).isoformat() == date


@pytest.mark.parametrize("text", ["31/02/1990", "1990/17/05", "ontem", "05/17/1990", "01/01/2030"])
def test_impossible_dates_are_invalid(text, english_messages):
    with pytest.raises(values.Invalid, match="date"):
        values.birth_date(text, TODAY)


@pytest.mark.parametrize(
    "text", ["SP", "sp", " Sp ", "São Paulo", "Sao Paulo", "SAO PAULO", "são paulo"]
)
def test_states_by_uf_or_name(text):
    assert values.state(text) == "SP"


def test_an_unknown_state_is_invalid(english_messages):
    with pytest.raises(values.Invalid, match="not a Brazilian state"):
        values.state("Sampa")


@pytest.mark.parametrize(
    ("text", "gender"),
    [
        ("F", "F"),
        ("feminino", "F"),
        ("Mulher", "F"),
        ("M", "M"),
        ("Masculino", "M"),
        ("male", "M"),
        ("Outro", "O"),
        ("não binário", "O"),
    ],
)
def test_genders_in_portuguese_and_english(text, gender):
    assert values.gender(text) == gender


@pytest.mark.parametrize(
    ("text", "cep"),
    [
        ("01310-100", "01310-100"),
        ("01310100", "01310-100"),
        ("1310100", "01310-100"),
        ("01.310-100", "01310-100"),
    ],
)
def test_ceps_get_their_usual_form(text, cep):
    assert values.zip_code(text, "BR") == cep


def test_a_foreign_zip_code_is_kept_as_written():
    assert values.zip_code("1000-001", "PT") == "1000-001"


def test_emails_are_lower_case_and_validated(english_messages):
    assert values.email(" Ana.Souza@Exemplo.COM.br ") == "ana.souza@exemplo.com.br"
    with pytest.raises(values.Invalid, match="not a valid e-mail address"):
        values.email("ana@")


def test_countries_by_code_or_name():
    assert [values.country(t) for t in ("br", "Brasil", "Brazil", "PT")] == ["BR", "BR", "BR", "PT"]


def test_a_tag_name_longer_than_the_field_is_invalid(english_messages):
    with pytest.raises(values.Invalid, match="more than 60 characters"):
        values.tag_names("x" * 61)


@pytest.mark.parametrize(
    ("ddd", "phone", "joined"),
    [
        ("11", "98765-4321", "11987654321"),
        ("(011)", "3456-7890", "1134567890"),
        ("11", "(21) 98765-4321", "(21) 98765-4321"),
        ("11", "+55 21 98765-4321", "+55 21 98765-4321"),
    ],
)
def test_the_ddd_joins_only_numbers_without_one(ddd, phone, joined):
    assert values.join_ddd(ddd, phone) == joined
