"""API keys in the admin: created by tenant admins, shown once, revoked at once."""

import re

import pytest

from api import services
from api.models import ApiKey

pytestmark = pytest.mark.django_db

ADD = "/admin/api/apikey/add/"


def add_key(client, **fields):
    data = {"name": "ERP", "scopes": ["contacts:read", "contacts:write"], "allowed_ips": ""}
    data.update(fields)
    return client.post(ADD, data, follow=True)


def test_tenant_admin_creates_a_key_shown_once(login, cast, api):
    client = login(cast.ana)
    response = add_key(client)
    assert response.status_code == 200
    text = response.content.decode()
    [key] = re.findall(r"alrea_[0-9a-f]{8}_[A-Za-z0-9_\-]+", text)
    row = ApiKey.objects.get()
    assert (row.tenant, row.created_by, row.scopes) == (
        cast.acme,
        cast.ana,
        ["contacts:read", "contacts:write"],
    )
    assert api(key).get("/api/v1/contacts/").status_code == 200
    # Never again: not on the change page, not on the list.
    for url in (f"/admin/api/apikey/{row.pk}/change/", "/admin/api/apikey/"):
        assert key not in client.get(url).content.decode()


def test_bad_allowlist_and_empty_scopes_show_on_the_form(login, cast):
    response = add_key(login(cast.ana), scopes=[], allowed_ips="10.0.0.1\nnot-an-ip")
    assert response.status_code == 200
    assert not ApiKey.objects.exists()
    form = response.context["adminform"].form
    assert set(form.errors) == {"scopes", "allowed_ips"}


def test_a_tenant_without_the_api_cannot_create_keys(login, cast):
    response = add_key(login(cast.gabriel))
    assert not ApiKey.objects.exists()
    assert "API" in " ".join(response.context["adminform"].form.non_field_errors())


def test_revoke_button_stops_the_key(login, cast, api):
    row, key = services.create_key(cast.acme, name="ERP", scopes=["contacts:read"])
    client = login(cast.ana)
    response = client.post(f"/admin/api/apikey/{row.pk}/revoke/")
    assert response.status_code == 302
    assert api(key).get("/api/v1/contacts/").json()["code"] == "revoked_key"


@pytest.mark.parametrize("who", ["marcos", "alice"])
def test_managers_and_agents_cannot_see_keys(login, cast, who):
    services.create_key(cast.acme, name="ERP", scopes=["contacts:read"])
    client = login(getattr(cast, who))
    assert client.get("/admin/api/apikey/").status_code == 403
    assert add_key(client).status_code == 403
    assert ApiKey.objects.count() == 1


def test_another_tenants_key_is_404(login, cast):
    row, _key = services.create_key(cast.acme, name="ERP", scopes=["contacts:read"])
    client = login(cast.gabriel)
    assert client.get(f"/admin/api/apikey/{row.pk}/change/").status_code == 404
    assert client.post(f"/admin/api/apikey/{row.pk}/revoke/").status_code == 404
    row.refresh_from_db()
    assert row.revoked_at is None
