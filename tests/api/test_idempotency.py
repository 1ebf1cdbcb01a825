from datetime import timedelta

import pytest
from django.utils import timezone

from api.models import IdempotentRequest
from contacts.models import Contact

pytestmark = pytest.mark.django_db

CONTACTS = "/api/v1/contacts/"


def post(client, body, key, path=CONTACTS):
    return client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_retry_replays_the_first_answer_and_creates_once(acme_api):
    first = post(acme_api, {"phone": "11987654321", "name": "Maria"}, "order-1")
    again = post(acme_api, {"name": "Maria", "phone": "11987654321"}, "order-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Contact.objects.count() == 1


def test_same_key_with_another_body_is_refused(acme_api):
    post(acme_api, {"phone": "11987654321"}, "order-1")
    response = post(acme_api, {"phone": "11911112222"}, "order-1")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Contact.objects.count() == 1


def test_a_request_still_running_answers_409(acme_api, cast):
    post(acme_api, {"phone": "11987654321"}, "order-1")
    IdempotentRequest.objects.update(status_code=None, response=None)
    response = post(acme_api, {"phone": "11987654321"}, "order-1")
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_request_in_progress"


def test_an_abandoned_request_may_be_retried(acme_api):
    post(acme_api, {"phone": "11987654321"}, "order-1")
    Contact.objects.all().delete()
    IdempotentRequest.objects.update(
        status_code=None, created_at=timezone.now() - timedelta(minutes=10)
    )
    response = post(acme_api, {"phone": "11987654321"}, "order-1")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response


def test_a_refused_request_is_not_kept(acme_api):
    assert post(acme_api, {"phone": "123"}, "order-1").status_code == 400
    assert post(acme_api, {"phone": "11987654321"}, "order-1").status_code == 201


def test_keys_belong_to_their_tenant(api, acme_api, make_key, globex_api):
    globex = api(make_key(tenant=globex_api))
    post(acme_api, {"phone": "11987654321"}, "order-1")
    response = post(globex, {"phone": "11911112222"}, "order-1")
    assert response.status_code == 201
    assert Contact.objects.count() == 2


def test_bulk_upsert_is_idempotent(acme_api):
    body = {"contacts": [{"phone": "11987654321", "name": "Maria"}]}
    first = post(acme_api, body, "batch-1", path=f"{CONTACTS}bulk/")
    again = post(acme_api, body, "batch-1", path=f"{CONTACTS}bulk/")
    assert first.json() == again.json()
    assert again.json()["results"][0]["status"] == "created"


def test_an_overlong_key_is_refused(acme_api):
    response = post(acme_api, {"phone": "11987654321"}, "x" * 256)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]


def test_old_keys_are_purged(acme_api, settings):
    from api.services import purge_idempotency_keys

    post(acme_api, {"phone": "11987654321"}, "old")
    post(acme_api, {"phone": "11911112222"}, "new")
    IdempotentRequest.objects.filter(key="old").update(
        created_at=timezone.now() - timedelta(hours=settings.API_IDEMPOTENCY_TTL_HOURS + 1)
    )
    assert purge_idempotency_keys() == 1
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["new"]
