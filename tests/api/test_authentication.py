from datetime import timedelta

import pytest
from django.utils import timezone

from api import services
from api.models import ApiKey
from tenancy import services as tenancy_services
from tenancy.models import Plan, Product

pytestmark = pytest.mark.django_db

CONTACTS = "/api/v1/contacts/"


def test_a_valid_key_reads_its_tenant(acme_api):
    response = acme_api.get(CONTACTS)
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_missing_key_is_refused_with_a_bearer_challenge(api):
    response = api().get(CONTACTS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(
    "header",
    ["Token abc", "Bearer", "Bearer a b", "Basic dXNlcjpwYXNz"],
)
def test_malformed_authorization_header_is_refused(api, header):
    client = api()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(CONTACTS)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_authorization_header"


def test_unknown_key_is_refused(api, make_key):
    real = make_key()
    tampered = real[:-4] + ("AAAA" if not real.endswith("AAAA") else "BBBB")
    for key in (tampered, "alrea_00000000_nothing", "not-a-key"):
        response = api(key).get(CONTACTS)
        assert response.status_code == 401, key
        assert response.json()["code"] == "invalid_key"


def test_only_prefix_and_hash_are_stored(cast, make_key):
    key = make_key()
    row = ApiKey.objects.get()
    assert key not in {row.prefix, row.key_hash}
    assert key.startswith(f"alrea_{row.prefix}_")
    assert row.key_hash == services.hash_key(key)


def test_revoked_key_stops_at_once(api, make_key):
    key = make_key()
    client = api(key)
    assert client.get(CONTACTS).status_code == 200
    services.revoke_key(ApiKey.objects.get())
    response = client.get(CONTACTS)
    assert response.status_code == 401
    assert response.json()["code"] == "revoked_key"


def test_expired_key_is_refused(api, make_key):
    key = make_key(expires_at=timezone.now() + timedelta(hours=1))
    assert api(key).get(CONTACTS).status_code == 200
    ApiKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = api(key).get(CONTACTS)
    assert response.status_code == 401
    assert response.json()["code"] == "expired_key"


def test_tenant_without_the_api_product_is_refused(cast, api, make_key):
    key = make_key()
    Plan.objects.get(pk=cast.acme.plan_id).products.remove(
        Product.objects.get(code=Product.Code.API)
    )
    response = api(key).get(CONTACTS)
    assert response.status_code == 403
    assert response.json()["code"] == "product_not_in_plan"


def test_an_api_add_on_opens_the_api_to_a_plan_without_it(cast, api, make_key, globex_api):
    assert api(make_key(tenant=globex_api)).get(CONTACTS).status_code == 200


def test_suspended_tenant_keys_stop_working(cast, api, make_key):
    key = make_key()
    tenancy_services.suspend(cast.acme, reason="unpaid")
    response = api(key).get(CONTACTS)
    assert response.status_code == 401
    assert response.json()["code"] == "tenant_suspended"


def test_ip_allowlist(api, make_key):
    key = make_key(allowed_ips=["203.0.113.0/24"])
    inside = api(key).get(CONTACTS, REMOTE_ADDR="203.0.113.9")
    outside = api(key).get(CONTACTS, REMOTE_ADDR="198.51.100.1")
    assert inside.status_code == 200
    assert outside.status_code == 403
    assert outside.json()["code"] == "ip_not_allowed"


def test_last_use_is_recorded(api, make_key):
    key = make_key()
    api(key).get(CONTACTS, REMOTE_ADDR="198.51.100.7")
    row = ApiKey.objects.get()
    assert row.last_used_at is not None
    assert row.last_used_ip == "198.51.100.7"


def test_bad_allowlist_entry_is_refused_at_creation(cast, english):
    with pytest.raises(Exception, match="not an IP address"):
        services.create_key(cast.acme, name="x", scopes=["contacts:read"], allowed_ips=["nope"])
