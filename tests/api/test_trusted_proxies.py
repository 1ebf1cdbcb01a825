"""X-Forwarded-For counts for a key's IP allowlist only when a configured proxy sent it."""

import pytest

from api.models import ApiKey

pytestmark = pytest.mark.django_db

CONTACTS = "/api/v1/contacts/"
PROXY = "10.0.0.5"
CUSTOMER = "203.0.113.9"
STRANGER = "198.51.100.1"


@pytest.fixture
def allowlisted(api, make_key):
    return api(make_key(allowed_ips=["203.0.113.0/24"]))


def get(client, peer, forwarded=None):
    headers = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.get(CONTACTS, **headers)


def test_without_trusted_proxies_the_header_is_ignored(allowlisted, settings):
    settings.API_TRUSTED_PROXIES = []
    # A caller outside the list cannot talk its way in by naming an allowed address.
    response = get(allowlisted, STRANGER, forwarded=CUSTOMER)
    assert response.status_code == 403
    assert response.json()["code"] == "ip_not_allowed"


def test_behind_a_trusted_proxy_the_forwarded_address_counts(allowlisted, settings):
    settings.API_TRUSTED_PROXIES = ["10.0.0.0/24"]
    assert get(allowlisted, PROXY, forwarded=CUSTOMER).status_code == 200
    assert get(allowlisted, PROXY, forwarded=STRANGER).status_code == 403
    # The proxy's own address is not the caller's.
    assert get(allowlisted, PROXY).status_code == 403
    assert ApiKey.objects.get().last_used_ip == CUSTOMER


def test_a_forged_hop_before_the_proxies_is_not_believed(allowlisted, settings):
    settings.API_TRUSTED_PROXIES = ["10.0.0.0/24"]
    # The client wrote "203.0.113.9" itself; our proxy appended the real peer, the stranger.
    assert get(allowlisted, PROXY, forwarded=f"{CUSTOMER}, {STRANGER}").status_code == 403
    # Two trusted hops in a row (a load balancer, then nginx) are both skipped.
    assert get(allowlisted, PROXY, forwarded=f"{STRANGER}, {CUSTOMER}, 10.0.0.7").status_code == 200


def test_a_header_from_an_untrusted_peer_is_ignored(allowlisted, settings):
    settings.API_TRUSTED_PROXIES = ["10.0.0.0/24"]
    assert get(allowlisted, STRANGER, forwarded=CUSTOMER).status_code == 403
    assert get(allowlisted, CUSTOMER, forwarded=STRANGER).status_code == 200


def test_a_malformed_forwarded_address_is_refused(allowlisted, settings):
    settings.API_TRUSTED_PROXIES = ["10.0.0.0/24"]
    assert get(allowlisted, PROXY, forwarded="not-an-ip").status_code == 403
