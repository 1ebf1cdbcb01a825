import pytest

from api.models import ApiKey

pytestmark = pytest.mark.django_db

CONTACTS = "/api/v1/contacts/"


@pytest.fixture
def plan(cast):
    return cast.acme.plan


def test_a_key_over_its_limit_gets_429_with_retry_after(api, make_key, plan):
    plan.api_requests_per_minute_per_key = 3
    plan.save()
    client = api(make_key())
    assert [client.get(CONTACTS).status_code for _ in range(3)] == [200, 200, 200]
    response = client.get(CONTACTS)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response.json()["code"] == "rate_limited"
    assert response.json()["retry_after"] == int(response["Retry-After"])
    # Another key of the same tenant has its own budget.
    assert api(make_key()).get(CONTACTS).status_code == 200


def test_the_tenant_limit_covers_all_its_keys(api, make_key, plan):
    plan.api_requests_per_minute = 4
    plan.save()
    first, second = api(make_key()), api(make_key())
    statuses = [client.get(CONTACTS).status_code for client in (first, second) * 3]
    assert statuses == [200, 200, 200, 200, 429, 429]


def test_other_tenants_are_not_slowed(api, make_key, plan, globex_api):
    plan.api_requests_per_minute = 1
    plan.save()
    acme = api(make_key())
    acme.get(CONTACTS)
    assert acme.get(CONTACTS).status_code == 429
    assert api(make_key(tenant=globex_api)).get(CONTACTS).status_code == 200


def test_empty_limits_mean_unlimited(api, make_key, plan):
    plan.api_requests_per_minute = plan.api_requests_per_minute_per_key = None
    plan.save()
    client = api(make_key())
    assert {client.get(CONTACTS).status_code for _ in range(20)} == {200}
    assert ApiKey.objects.count() == 1
