"""Who reaches which campaign in the admin: ana the whole of Acme, marcos his department's and his
own, alice (an agent) nothing (403), gabriel (Globex) never an Acme campaign (404), on every page,
JSON view, button and export."""

import pytest

from campaigns.models import Campaign, CampaignRecipient
from tests.campaigns.admin.pages import url

OBJECT_GETS = ("change", "live", "export_csv", "export_xlsx")
BUTTONS = ("start", "schedule", "pause", "resume", "cancel", "duplicate", "test_send")


@pytest.fixture
def campaigns(cast, make_campaign):
    sales, support = cast.departments[("acme", "Sales")], cast.departments[("acme", "Support")]
    return {
        "sales": make_campaign("Sales promo", department=sales),
        "support": make_campaign("Support survey", department=support),
        "marcos_own": make_campaign("Marcos's test", created_by=cast.marcos),
        "globex": make_campaign("Globex launch", tenant=cast.globex),
    }


def _listed(client):
    response = client.get(url("changelist"))
    assert response.status_code == 200
    listed = {c.pk for c in response.context["cl"].result_list}
    return listed


def _keys(campaigns, pks):
    return {key for key, campaign in campaigns.items() if campaign.pk in pks}


def test_admin_sees_every_campaign_of_her_company(cast, login, campaigns):
    assert _keys(campaigns, _listed(login(cast.ana))) == {"sales", "support", "marcos_own"}


def test_manager_sees_his_departments_and_his_own_campaigns(cast, login, campaigns):
    client = login(cast.marcos)
    assert _keys(campaigns, _listed(client)) == {"sales", "marcos_own"}
    assert client.get(url("change", campaigns["support"])).status_code == 404
    assert client.get(url("live", campaigns["support"])).status_code == 404
    assert client.get(url("change", campaigns["sales"])).status_code == 200


def test_manager_may_run_his_departments_campaign(cast, login, ready):
    response = login(cast.marcos).post(url("cancel", ready))
    assert response.status_code == 302
    ready.refresh_from_db()
    assert ready.status == Campaign.Status.CANCELLED


def test_agent_gets_403_everywhere(cast, login, campaigns):
    client = login(cast.alice)
    sales = campaigns["sales"]  # in alice's department, yet agents do not manage campaigns
    assert client.get(url("changelist")).status_code == 403
    assert client.get(url("add")).status_code == 403
    assert client.get(url("preview"), {"text": "Oi"}).status_code == 403
    for view in OBJECT_GETS:
        assert client.get(url(view, sales)).status_code == 403, view
    for button in BUTTONS:
        assert client.post(url(button, sales)).status_code == 403, button
    assert client.get("/admin/campaigns/campaignrecipient/").status_code == 403
    sales.refresh_from_db()
    assert sales.status == Campaign.Status.DRAFT
    assert Campaign.objects.filter(tenant=cast.acme).count() == 3  # nothing duplicated


def test_other_company_gets_404_on_every_campaign_url(cast, login, ready):
    client = login(cast.gabriel)
    for view in OBJECT_GETS:
        assert client.get(url(view, ready)).status_code == 404, view
    for button in BUTTONS:
        assert client.post(url(button, ready), {"phone": "11987654321"}).status_code == 404
    ready.refresh_from_db()
    assert ready.status == Campaign.Status.DRAFT
    assert not ready.events.exists()
    assert Campaign.objects.filter(tenant=cast.globex).count() == 0


def test_other_company_list_action_leaves_the_campaign_alone(cast, login, ready):
    response = login(cast.gabriel).post(
        url("changelist"),
        {"action": "start_selected", "_selected_action": [str(ready.pk)], "index": "0"},
    )
    assert response.status_code == 302
    ready.refresh_from_db()
    assert ready.status == Campaign.Status.DRAFT


def test_recipients_list_shows_only_visible_campaigns(cast, login, ready, make_campaign):
    from campaigns import services

    support = make_campaign("Support", department=cast.departments[("acme", "Support")])
    support.instances.set(ready.instances.all())
    support.audience_tags.set(ready.audience_tags.all())
    services.start(ready, by=cast.ana)
    services.start(support, by=cast.ana)

    def listed(user):
        response = login(user).get("/admin/campaigns/campaignrecipient/")
        assert response.status_code == 200
        return {r.campaign_id for r in response.context["cl"].result_list}

    assert listed(cast.ana) == {ready.pk, support.pk}
    assert listed(cast.marcos) == {ready.pk}
    assert listed(cast.gabriel) == set()
    assert CampaignRecipient.objects.filter(campaign=support).count() == 3
