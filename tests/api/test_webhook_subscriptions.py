import hashlib
import hmac
import json

import pytest

from api.models import WebhookSubscription
from api.webhooks import SIGNATURE_HEADER

pytestmark = pytest.mark.django_db
WEBHOOKS = "/api/v1/webhooks/"


def subscribe(client, url, events=("message.received",)):
    return client.post(WEBHOOKS, {"url": url, "events": list(events)}, format="json")


def test_create_shows_the_secret_once(acme_api, cast):
    response = subscribe(acme_api, "https://erp.example.com/hooks")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["secret"].startswith("whsec_")
    assert body["events"] == ["message.received"]
    assert WebhookSubscription.objects.get().tenant == cast.acme
    listed = acme_api.get(WEBHOOKS).json()["results"]
    assert [s["id"] for s in listed] == [body["id"]]
    assert "secret" not in listed[0]
    assert "secret" not in acme_api.get(f"{WEBHOOKS}{body['id']}/").json()


def test_unknown_events_and_bad_urls_are_refused(acme_api):
    assert "events" in subscribe(acme_api, "https://a.example.com", ["nope"]).json()["errors"]
    assert "events" in subscribe(acme_api, "https://a.example.com", []).json()["errors"]
    assert "url" in subscribe(acme_api, "ftp://a.example.com").json()["errors"]
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
    ],
)
def test_private_addresses_are_refused_in_production_settings(acme_api, settings, url):
    settings.API_WEBHOOK_ALLOW_PRIVATE_URLS = False
    response = subscribe(acme_api, url)
    assert response.status_code == 400
    assert "url" in response.json()["errors"]
    assert not WebhookSubscription.objects.exists()


def test_test_delivery_is_signed(acme_api, webhook_capture):
    created = subscribe(acme_api, webhook_capture.url).json()
    result = acme_api.post(f"{WEBHOOKS}{created['id']}/test/").json()
    assert result["delivered"] is True, result
    [request] = webhook_capture.requests
    assert request.body["event"] == "ping"
    header = request.headers[SIGNATURE_HEADER.lower()]
    parts = dict(part.split("=", 1) for part in header.split(","))
    # The capture keeps the parsed body; we send compact JSON, so this is the signed bytes.
    raw = json.dumps(request.body, separators=(",", ":")).encode()
    expected = hmac.new(
        created["secret"].encode(), f"{parts['t']}.".encode() + raw, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(parts["v1"], expected)


def test_a_test_to_a_url_now_private_is_not_sent(acme_api, settings, webhook_capture):
    created = subscribe(acme_api, webhook_capture.url).json()
    settings.API_WEBHOOK_ALLOW_PRIVATE_URLS = False
    result = acme_api.post(f"{WEBHOOKS}{created['id']}/test/").json()
    assert result["delivered"] is False
    assert result["error"]
    assert webhook_capture.requests == []


def test_delete_and_tenant_isolation(api, make_key, globex_api, acme_api):
    created = subscribe(acme_api, "https://erp.example.com/hooks").json()
    globex = api(make_key(tenant=globex_api))
    url = f"{WEBHOOKS}{created['id']}/"
    assert globex.get(url).status_code == 404
    assert globex.post(f"{url}test/").status_code == 404
    assert globex.delete(url).status_code == 404
    assert globex.get(WEBHOOKS).json()["results"] == []
    assert acme_api.delete(url).status_code == 204
    assert not WebhookSubscription.objects.exists()


def test_webhooks_need_their_scope(api, make_key):
    client = api(make_key(key_scopes=["webhooks:read"]))
    assert client.get(WEBHOOKS).status_code == 200
    assert subscribe(client, "https://erp.example.com/hooks").status_code == 403
