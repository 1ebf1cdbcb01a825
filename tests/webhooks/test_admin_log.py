"""The delivery log in the admin: tenant admins only, their company only, read-only, redeliver."""

import pytest

from api import outbound
from api.models import WebhookDelivery

pytestmark = pytest.mark.django_db
S = WebhookDelivery.Status
LIST = "/admin/api/webhookdelivery/"


@pytest.fixture
def logged(subscribe, cast):
    """One Acme delivery delivered, one failed; one of Globex."""
    acme = subscribe("contact.created", "contact.updated")
    outbound.emit(cast.acme, "contact.created", {"id": "acme-1"})
    outbound.emit(cast.acme, "contact.updated", {"id": "acme-2"})
    outbound.emit(subscribe("contact.created", tenant=cast.globex).tenant, "contact.created", {})
    WebhookDelivery.objects.filter(event="contact.created", tenant=cast.acme).update(
        status=S.DELIVERED
    )
    WebhookDelivery.objects.filter(event="contact.updated").update(status=S.FAILED)
    return {
        "subscription": acme,
        "delivered": WebhookDelivery.objects.get(tenant=cast.acme, event="contact.created"),
        "failed": WebhookDelivery.objects.get(event="contact.updated"),
        "globex": WebhookDelivery.objects.get(tenant=cast.globex),
    }


def shown(response) -> set:
    return {row.pk for row in response.context["cl"].result_list}


def test_tenant_admin_sees_their_company_log_and_filters_it(login, cast, logged):
    client = login(cast.ana)
    assert shown(client.get(LIST)) == {logged["delivered"].pk, logged["failed"].pk}
    assert shown(client.get(LIST, {"status__exact": "failed"})) == {logged["failed"].pk}
    assert shown(client.get(LIST, {"event": "contact.created"})) == {logged["delivered"].pk}
    by_subscription = client.get(LIST, {"subscription__id__exact": logged["subscription"].pk})
    assert shown(by_subscription) == {logged["delivered"].pk, logged["failed"].pk}
    page = client.get(f"{LIST}{logged['failed'].pk}/change/")
    assert page.status_code == 200
    assert "acme-2" in page.content.decode()  # the request body


def test_another_company_gets_404_and_an_empty_list(login, cast, logged):
    client = login(cast.gabriel)
    assert shown(client.get(LIST)) == {logged["globex"].pk}
    assert client.get(f"{LIST}{logged['failed'].pk}/change/").status_code == 404


@pytest.mark.parametrize("person", ["marcos", "alice"])
def test_managers_and_agents_do_not_see_the_log(login, cast, logged, person):
    assert login(getattr(cast, person)).get(LIST).status_code == 403


def test_the_log_cannot_be_written(login, cast, logged):
    client = login(cast.ana)
    assert client.get(f"{LIST}add/").status_code == 403
    change = f"{LIST}{logged['failed'].pk}/change/"
    assert (
        client.post(change, {"event": "contact.created", "status": "delivered"}).status_code == 403
    )
    logged["failed"].refresh_from_db()
    assert (logged["failed"].event, logged["failed"].status) == ("contact.updated", S.FAILED)


def test_deleting_a_subscription_with_a_log_works_in_the_admin(login, cast, logged):
    url = f"/admin/api/webhooksubscription/{logged['subscription'].pk}/delete/"
    assert login(cast.ana).post(url, {"post": "yes"}).status_code == 302
    assert not WebhookDelivery.objects.filter(tenant=cast.acme).exists()


def redeliver(client, *deliveries):
    return client.post(
        LIST,
        {"action": "redeliver_selected", "_selected_action": [d.pk for d in deliveries]},
        follow=True,
    )


def test_redeliver_queues_the_same_body_again_as_a_new_delivery(
    login, cast, logged, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as published:
        page = redeliver(login(cast.ana), logged["delivered"])
    again = WebhookDelivery.objects.exclude(
        pk__in=[d.pk for d in logged.values() if isinstance(d, WebhookDelivery)]
    ).get()
    assert (again.status, again.attempts, again.payload) == (
        S.PENDING,
        0,
        logged["delivered"].payload,
    )
    assert [m.args[0].payload.delivery_id for m in published] == [str(again.pk)]
    assert [m.level_tag for m in page.context["messages"]] == ["success"]
    logged["delivered"].refresh_from_db()
    assert logged["delivered"].status == S.DELIVERED  # the logged row stays as it was


def test_redeliver_to_a_disabled_subscription_is_refused(login, cast, logged):
    logged["subscription"].is_active = False
    logged["subscription"].save()
    page = redeliver(login(cast.ana), logged["failed"])
    assert WebhookDelivery.objects.count() == 3
    [message] = page.context["messages"]
    assert (message.level_tag, "disabled" in str(message)) == ("error", True)


def test_another_company_cannot_redeliver(login, cast, logged):
    redeliver(login(cast.gabriel), logged["failed"])
    assert WebhookDelivery.objects.count() == 3


def test_the_redeliver_button_on_a_delivery_page(login, cast, logged):
    page = f"{LIST}{logged['failed'].pk}/change/"
    button = f"{LIST}{logged['failed'].pk}/redeliver/"
    client = login(cast.ana)
    assert button in client.get(page).content.decode()
    done = client.post(button, follow=True)
    assert [m.level_tag for m in done.context["messages"]] == ["success"]
    assert WebhookDelivery.objects.filter(payload=logged["failed"].payload).count() == 2
    assert client.get(button).status_code == 405  # POST only
    assert login(cast.gabriel).post(button).status_code == 404
    assert login(cast.marcos).post(button).status_code == 403
    assert WebhookDelivery.objects.filter(payload=logged["failed"].payload).count() == 2
