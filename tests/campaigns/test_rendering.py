from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from campaigns import rendering
from campaigns.rendering import UnknownVariable

SAO_PAULO = "America/Sao_Paulo"
# Monday 6 January 2025, 15:00 UTC = 12:00 in São Paulo (UTC-3, no daylight saving since 2019).
MONDAY_NOON_SP = datetime(2025, 1, 6, 15, 0, tzinfo=UTC)


def at(hour, minute, tz=SAO_PAULO):
    return datetime(2025, 1, 6, hour, minute, tzinfo=ZoneInfo(tz))


def render(text, contact, now=MONDAY_NOON_SP, tz=SAO_PAULO):
    return rendering.render(text, contact, now=now, tenant_tz=tz)


@pytest.fixture
def maria(make_contact):
    return make_contact(
        name="Maria Clara Souza",
        email="maria@example.com",
        city="Campinas",
        state="SP",
        custom_fields={"plano": "Ouro", "pontos": 120},
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{{nome}}", "Maria Clara Souza"),
        ("{{primeiro_nome}}", "Maria"),
        ("{{email}}", "maria@example.com"),
        ("{{cidade}}", "Campinas"),
        ("{{estado}}", "SP"),
        ("{{saudacao}}", "Boa tarde"),
        ("{{dia_semana}}", "segunda-feira"),
        ("{{plano}}", "Ouro"),
        ("{{pontos}}", "120"),
        ("{{ primeiro_nome }}, seu plano {{  plano}} vence", "Maria, seu plano Ouro vence"),
    ],
)
def test_every_variable_renders(maria, text, expected):
    assert render(text, maria) == expected


def test_the_name_falls_back_to_the_whatsapp_name_then_to_nothing(make_contact):
    whatsapp_only = make_contact(whatsapp_name="Zé do Caixa")
    assert render("Oi {{primeiro_nome}}! {{nome}}", whatsapp_only) == "Oi Zé! Zé do Caixa"
    nameless = make_contact()
    assert render("Oi {{primeiro_nome}}, tudo bem?", nameless) == "Oi, tudo bem?"


@pytest.mark.parametrize(
    ("local", "greeting"),
    [
        ((11, 59), "Bom dia"),
        ((12, 0), "Boa tarde"),
        ((17, 59), "Boa tarde"),
        ((18, 0), "Boa noite"),
    ],
)
def test_greeting_changes_at_noon_and_six_in_the_tenants_time_zone(maria, local, greeting):
    assert render("{{saudacao}}", maria, now=at(*local)) == greeting


def test_greeting_and_weekday_follow_the_time_zone_not_the_server(maria):
    # 11:59 in São Paulo is 23:59 the same Monday in Tokyo, and 02:00 UTC Monday is still
    # Sunday night in São Paulo.
    assert render("{{saudacao}}", maria, now=at(11, 59), tz="Asia/Tokyo") == "Boa noite"
    night = datetime(2025, 1, 6, 2, 0, tzinfo=UTC)
    assert render("{{saudacao}} {{dia_semana}}", maria, now=night) == "Boa noite domingo"
    tokyo = render("{{saudacao}} {{dia_semana}}", maria, now=night, tz="Asia/Tokyo")
    assert tokyo == "Bom dia segunda-feira"
    assert render("{{dia_semana}}", maria, tz=ZoneInfo("Asia/Tokyo")) == "terça-feira"


def test_weekday_names(maria):
    names = [
        render("{{dia_semana}}", maria, now=datetime(2025, 1, 6 + day, 15, tzinfo=UTC))
        for day in range(7)
    ]
    assert names == [
        "segunda-feira",
        "terça-feira",
        "quarta-feira",
        "quinta-feira",
        "sexta-feira",
        "sábado",
        "domingo",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Olá {{cidade}}, tudo bem?", "Olá, tudo bem?"),
        ("Oi {{cidade}} tudo bem", "Oi tudo bem"),
        ("{{cidade}} Promoção", "Promoção"),
        ("Promoção {{cidade}}\nAté logo", "Promoção\nAté logo"),
        ("Oi {{cidade}} {{email}} tchau", "Oi tchau"),
        ("R${{cidade}}10", "R$10"),
        ("Dois  espaços do autor", "Dois  espaços do autor"),
    ],
)
def test_an_empty_variable_leaves_no_double_space(make_contact, text, expected):
    assert render(text, make_contact(name="Ana")) == expected


def test_a_custom_field_another_contact_has_renders_empty(make_contact, maria):
    other = make_contact(name="João")
    assert render("Plano: {{plano}}.", other) == "Plano:."
    assert render("Seu plano {{plano}} vence", other) == "Seu plano vence"


def test_an_unknown_variable_raises_at_render_time_instead_of_being_sent(maria):
    with pytest.raises(UnknownVariable) as raised:
        render("Oi {{apelido}}", maria)
    assert raised.value.names == ["apelido"]


def test_a_custom_field_of_another_tenant_is_unknown(cast, make_contact, maria):
    make_contact(cast.globex, custom_fields={"segredo": "x"})
    with pytest.raises(UnknownVariable):
        render("{{segredo}}", maria)
    with pytest.raises(UnknownVariable):
        rendering.validate("{{segredo}}", cast.acme)


@pytest.mark.parametrize("text", ["Oi {{nome}", "Oi {{nome}} }}", "{{ {{nome}} }}", "Oi {nome}}"])
def test_unclosed_variables_are_errors_not_braces_in_the_message(maria, cast, text):
    with pytest.raises(ValidationError):
        render(text, maria)
    with pytest.raises(ValidationError):
        rendering.validate(text, cast.acme)


def test_validate_lists_every_unknown_variable(cast, maria, english):
    text = "{{saudacao}} {{primeiro_nome}}, {{apelido}} {{plano}} {{ cupom }} {{}}"
    with pytest.raises(UnknownVariable) as raised:
        rendering.validate(text, cast.acme)
    assert raised.value.names == ["", "apelido", "cupom"]
    assert raised.value.messages == ["Unknown variables: {{}}, {{apelido}}, {{cupom}}."]


def test_validate_accepts_builtins_and_the_tenants_custom_fields(cast, maria):
    rendering.validate("{{saudacao}}, {{nome}}! {{plano}} {{pontos}} {{dia_semana}}", cast.acme)
    rendering.validate("Sem variáveis", cast.globex)


def test_variables_in():
    assert rendering.variables_in("{{ nome }} e {{plano}} e {{nome}}") == {"nome", "plano"}
    assert rendering.variables_in("nada") == set()


def test_a_text_without_variables_renders_as_is(maria):
    assert render("Promoção hoje!  Até 18h.", maria) == "Promoção hoje!  Até 18h."


def test_preview_renders_for_the_contact_now(maria):
    assert rendering.preview("{{primeiro_nome}} de {{cidade}}", maria) == "Maria de Campinas"
