import datetime as dt

from django.utils import timezone

from tenancy.models import Tenant


def test_admin_speaks_portuguese_by_default(cast, login):
    response = login(cast.ana).get("/admin/")
    assert response.headers["Content-Language"] == "pt-br"
    assert "Usuários" in response.text


def test_english_is_available(cast, login):
    client = login(cast.ana)
    client.cookies["django_language"] = "en"
    response = client.get("/admin/")
    assert response.headers["Content-Language"] == "en"
    assert "Users" in response.text


def test_times_are_stored_in_utc_and_shown_in_the_tenants_time_zone(cast, login):
    Tenant.objects.filter(pk=cast.acme.pk).update(timezone="America/Manaus")
    stamp = dt.datetime(2026, 1, 2, 15, 0, tzinfo=dt.UTC)
    type(cast.ana).objects.filter(pk=cast.ana.pk).update(date_joined=stamp)
    response = login(cast.ana).get(f"/admin/accounts/user/{cast.ana.pk}/change/")
    assert response.status_code == 200
    # 15:00 UTC is 11:00 in Manaus (UTC-4); the stored value is unchanged.
    assert "11:00" in response.text
    assert type(cast.ana).objects.get(pk=cast.ana.pk).date_joined == stamp
    assert timezone.get_current_timezone_name() != "America/Manaus"  # deactivated after


def test_our_own_messages_are_translated_to_portuguese(cast):
    from django.core.exceptions import ValidationError

    from alrea.phones import normalize_phone

    try:
        normalize_phone("123")
    except ValidationError as error:
        assert error.messages == ["123 não é um telefone válido."]
    else:
        raise AssertionError("an invalid phone was accepted")


def test_dashboard_shows_the_plan_usage_in_portuguese(cast, login):
    response = login(cast.ana).get("/admin/")
    assert "Uso do plano" in response.text
    assert "3 de 25" in response.text


def test_phones_are_listed_the_brazilian_way(cast, login):
    response = login(cast.ana).get("/admin/accounts/user/")
    assert "(11) 98765-4321" in response.text


def test_the_company_time_zone_is_picked_from_a_list(cast, login):
    client = login(cast.ana)
    page = client.get(f"/admin/tenancy/tenant/{cast.acme.pk}/change/")
    assert '<option value="America/Manaus">' in page.text
    response = client.post(
        f"/admin/tenancy/tenant/{cast.acme.pk}/change/",
        {"name": "Acme", "timezone": "Mars/Olympus", "country": "BR"},
    )
    assert response.status_code == 200  # the form again, with the error
    cast.acme.refresh_from_db()
    assert cast.acme.timezone == "America/Sao_Paulo"
    response = client.post(
        f"/admin/tenancy/tenant/{cast.acme.pk}/change/",
        {"name": "Acme", "timezone": "America/Manaus", "country": "BR"},
    )
    assert response.status_code == 302
    cast.acme.refresh_from_db()
    assert cast.acme.timezone == "America/Manaus"
