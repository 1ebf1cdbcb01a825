"""Only a call that proves it comes from the instance it names is recorded."""

import time

import jwt
import pytest

from chat.models import Message
from tenancy.services import suspend
from tests.bus.marks import committed_db
from tests.whatsapp.webhooks import payloads
from whatsapp import inbound
from whatsapp.models import WebhookEvent
from whatsapp.webhook_config import SECRET_HEADER, url_token, webhook_url

pytestmark = pytest.mark.django_db


def _nothing_recorded():
    return not WebhookEvent.objects.exists() and not Message.objects.exists()


def test_the_secret_header_authenticates(evolution, acme_instance):
    response = evolution.post(payloads.text("acme-main"), instance=acme_instance)
    assert response.status_code == 200
    inbound.process_pending()
    assert Message.objects.get().tenant == acme_instance.tenant


@pytest.mark.parametrize(
    "headers",
    [{}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: ""}, {"Authorization": "Bearer nonsense"}],
    ids=["none", "wrong-secret", "empty-secret", "garbage-jwt"],
)
def test_a_call_without_the_instance_secret_is_refused_and_records_nothing(
    evolution, acme_instance, headers
):
    response = evolution.post(payloads.text("acme-main"), headers=headers)
    assert response.status_code == 401
    assert _nothing_recorded()


def test_an_unknown_instance_is_refused_like_a_wrong_secret(evolution, acme_instance):
    response = evolution.post(payloads.text("nobody"), instance=acme_instance)
    assert response.status_code == 401
    assert _nothing_recorded()


def test_globex_secret_cannot_write_into_acme(evolution, acme_instance, globex_instance):
    response = evolution.post(payloads.text("acme-main"), instance=globex_instance)
    assert response.status_code == 401
    assert _nothing_recorded()


def test_each_tenant_receives_only_its_instance_messages(evolution, acme_instance, globex_instance):
    evolution.send(globex_instance, payloads.text("globex-main", "Olá Globex"))
    message = Message.objects.get()
    assert message.tenant == globex_instance.tenant
    assert message.conversation.instance == globex_instance
    assert not Message.objects.for_tenant(acme_instance.tenant).exists()


def _jwt(secret, **claims):
    now = int(time.time())
    payload = {"iat": now, "exp": now + 600, "app": "evolution", "action": "webhook", **claims}
    return jwt.encode(payload, secret, algorithm="HS256")


def test_evolution_jwt_signed_with_the_instance_secret_authenticates(evolution, acme_instance):
    token = _jwt(acme_instance.webhook_secret)
    response = evolution.post(
        payloads.text("acme-main"), headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    inbound.process_pending()
    assert Message.objects.count() == 1


@pytest.mark.parametrize(
    "token_for",
    [
        lambda secret: _jwt("another-secret-that-is-long-enough-for-hs256"),
        lambda secret: _jwt(secret, exp=int(time.time()) - 10),
        lambda secret: _jwt(secret, app="someone-else"),
        lambda secret: jwt.encode({"app": "evolution", "action": "webhook"}, secret, "HS256"),
    ],
    ids=["wrong-key", "expired", "wrong-app", "no-expiry"],
)
def test_a_bad_jwt_is_refused(evolution, acme_instance, token_for):
    token = token_for(acme_instance.webhook_secret)
    response = evolution.post(
        payloads.text("acme-main"), headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401
    assert _nothing_recorded()


def test_the_url_token_authenticates_without_headers(evolution, acme_instance):
    url = webhook_url(acme_instance, with_token=True).split("127.0.0.1:8000", 1)[1]
    response = evolution.post(payloads.text("acme-main"), url=url, headers={})
    assert response.status_code == 200
    inbound.process_pending()
    assert Message.objects.count() == 1


def test_a_url_token_of_another_instance_is_refused(evolution, acme_instance, globex_instance):
    url = f"/webhooks/evolution/k/{url_token(globex_instance)}/"
    response = evolution.post(payloads.text("acme-main"), url=url, headers={})
    assert response.status_code == 401
    assert _nothing_recorded()


def test_rotating_the_secret_invalidates_the_old_one(evolution, acme_instance):
    old = acme_instance.webhook_secret
    acme_instance.webhook_secret = "a-brand-new-secret"
    acme_instance.save()
    response = evolution.post(payloads.text("acme-main"), headers={SECRET_HEADER: old})
    assert response.status_code == 401


@pytest.mark.parametrize("suffix", ["messages-upsert", "messages-upsert/", "/messages-upsert"])
def test_by_events_suffixes_are_accepted(evolution, acme_instance, suffix):
    response = evolution.post(
        payloads.text("acme-main"), instance=acme_instance, url=f"/webhooks/evolution/{suffix}"
    )
    assert response.status_code == 200
    url = f"/webhooks/evolution/k/{url_token(acme_instance)}/{suffix}"
    response = evolution.post(payloads.text("acme-main"), url=url, headers={})
    assert response.status_code == 200
    inbound.process_pending()
    assert Message.objects.count() == 2


def test_the_url_without_its_trailing_slash_is_accepted(evolution, acme_instance):
    response = evolution.post(
        payloads.text("acme-main"), instance=acme_instance, url="/webhooks/evolution"
    )
    assert response.status_code == 200


def test_only_post_is_allowed(client, acme_instance):
    assert client.get("/webhooks/evolution/").status_code == 405


def test_a_new_secret_works_at_once_though_the_old_one_was_cached(evolution, acme_instance):
    assert evolution.post(payloads.text("acme-main"), instance=acme_instance).status_code == 200
    acme_instance.webhook_secret = "the-secret-after-rotation"
    acme_instance.save()
    response = evolution.post(
        payloads.text("acme-main"), headers={SECRET_HEADER: "the-secret-after-rotation"}
    )
    assert response.status_code == 200


@committed_db  # the foreign key is checked when the insert commits, as in production
def test_a_deleted_instance_is_refused_though_it_was_cached(evolution, acme_instance):
    secret = acme_instance.webhook_secret
    assert evolution.post(payloads.text("acme-main"), instance=acme_instance).status_code == 200
    acme_instance.delete()
    response = evolution.post(payloads.text("acme-main"), headers={SECRET_HEADER: secret})
    assert response.status_code == 401
    assert not WebhookEvent.objects.exists()


def test_events_of_a_company_suspended_after_receipt_are_not_applied(evolution, acme_instance):
    response = evolution.post(payloads.text("acme-main"), instance=acme_instance)
    assert response.json()["status"] == "received"
    suspend(acme_instance.tenant, reason="unpaid")
    inbound.process_pending()
    assert WebhookEvent.objects.get().error == "company suspended"
    assert not Message.objects.exists()
