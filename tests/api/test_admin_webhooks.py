import re

import pytest

from api.models import WebhookSubscription

pytestmark = pytest.mark.django_db

ADD = "/admin/api/webhooksubscription/add/"


def test_tenant_admin_subscribes_and_sees_the_secret_once(login, cast):
    client = login(cast.ana)
    response = client.post(
        ADD,
        {"url": "https://erp.example.com/hooks", "events": ["contact.created"], "is_active": "on"},
        follow=True,
    )
    [secret] = re.findall(r"whsec_[A-Za-z0-9_\-]+", response.content.decode())
    subscription = WebhookSubscription.objects.get()
    assert (subscription.tenant, subscription.secret) == (cast.acme, secret)
    change = client.get(f"/admin/api/webhooksubscription/{subscription.pk}/change/")
    assert secret not in change.content.decode()


def test_private_url_is_refused_on_the_form(login, cast, settings):
    settings.API_WEBHOOK_ALLOW_PRIVATE_URLS = False
    response = login(cast.ana).post(
        ADD, {"url": "http://10.0.0.5/hooks", "events": ["contact.created"]}
    )
    assert "url" in response.context["adminform"].form.errors
    assert not WebhookSubscription.objects.exists()


def test_managers_cannot_manage_webhooks(login, cast):
    assert login(cast.marcos).get("/admin/api/webhooksubscription/").status_code == 403


def test_test_button_reports_the_outcome(login, cast, webhook_capture):
    subscription = WebhookSubscription.objects.create(
        tenant=cast.acme, url=webhook_capture.url, events=["contact.created"]
    )
    client = login(cast.ana)
    url = f"/admin/api/webhooksubscription/{subscription.pk}/test/"
    page = client.post(url, follow=True)
    assert len(webhook_capture.requests) == 1
    assert [m.level_tag for m in page.context["messages"]] == ["success"]
    webhook_capture.fail_next(1, status=500)
    page = client.post(url, follow=True)
    [failure] = page.context["messages"]
    assert failure.level_tag == "error"
    assert "500" in str(failure)
    assert login(cast.gabriel).post(url).status_code == 404
