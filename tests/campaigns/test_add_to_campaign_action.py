"""The contacts admin's "Add selected contacts to a campaign…": a page to choose one of the
campaigns the user may see that can still get recipients, then exactly the new, reachable
contacts added; a running campaign starts sending to them."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages

from campaigns.models import Campaign, CampaignRecipient
from whatsapp.models import WhatsAppInstance

CHANGELIST = "/admin/contacts/contact/"
S = Campaign.Status


@pytest.fixture(autouse=True)
def english_pages(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def add_to_campaign(client, contacts, campaign=None):
    """Choose the action (campaign None: the choice page), or apply it with ``campaign``."""
    data = {"action": "add_to_campaign", ACTION_CHECKBOX_NAME: [c.pk for c in contacts]}
    if campaign is not None:
        data.update(apply="1", campaign=campaign.pk)
    return client.post(CHANGELIST, data)


def recipients(campaign):
    rows = CampaignRecipient.objects.filter(campaign=campaign)
    return sorted(rows.values_list("contact__name", flat=True))


def test_ana_adds_the_new_reachable_contacts_and_is_told_how_many(
    cast, login, make_contact, campaign
):
    already = make_contact(name="Already")
    CampaignRecipient.objects.create(tenant=cast.acme, campaign=campaign, contact=already)
    Campaign.objects.filter(pk=campaign.pk).update(folded_pending=1)
    chosen = [already, make_contact(name="New 1"), make_contact(name="New 2")]
    chosen.append(make_contact(name="Opted out", opted_out=True))
    make_contact(name="Not selected")

    response = add_to_campaign(login(cast.ana), chosen, campaign)

    assert response.status_code == 302
    assert [m.message for m in get_messages(response.wsgi_request)] == ["2 contacts added."]
    assert recipients(campaign) == ["Already", "New 1", "New 2"]
    campaign.refresh_from_db()
    assert (campaign.counts()["pending"], campaign.counts()["total"]) == (3, 3)
    event = campaign.events.get()
    assert (event.kind, event.actor) == ("recipients_added", cast.ana)


def test_the_choice_page_lists_only_visible_campaigns_that_can_still_grow(
    cast, login, make_contact, campaign
):
    open_ones = [campaign]
    for status in (S.SCHEDULED, S.RUNNING, S.PAUSED):
        open_ones.append(
            Campaign.objects.create(tenant=cast.acme, name=f"Is {status}", status=status)
        )
    done = Campaign.objects.create(tenant=cast.acme, name="Was completed", status=S.COMPLETED)
    gone = Campaign.objects.create(tenant=cast.acme, name="Was cancelled", status=S.CANCELLED)
    foreign = Campaign.objects.create(tenant=cast.globex, name="Globex promo")

    page = add_to_campaign(login(cast.ana), [make_contact()])

    assert page.status_code == 200
    offered = set(page.context["form"].fields["campaign"].queryset)
    assert offered == set(open_ones)
    html = page.content.decode()
    assert all(c.name in html for c in open_ones)
    assert not any(c.name in html for c in (done, gone, foreign))


def test_a_globex_campaign_posted_by_ana_is_refused(cast, login, make_contact):
    foreign = Campaign.objects.create(tenant=cast.globex, name="Globex promo")
    response = add_to_campaign(login(cast.ana), [make_contact()], foreign)
    assert response.status_code == 200  # the choice page again, with the error
    assert "campaign" in response.context["form"].errors
    assert not CampaignRecipient.objects.exists()


def test_a_completed_campaign_posted_anyway_is_refused(cast, login, make_contact, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(status=S.COMPLETED)
    response = add_to_campaign(login(cast.ana), [make_contact()], campaign)
    assert "campaign" in response.context["form"].errors
    assert not CampaignRecipient.objects.exists()


def test_marcos_chooses_among_his_departments_campaigns_only(cast, login, make_contact):
    sales = Campaign.objects.create(
        tenant=cast.acme, name="Sales", department=cast.departments[("acme", "Sales")]
    )
    other = Campaign.objects.create(tenant=cast.acme, name="Other", created_by=cast.ana)
    client = login(cast.marcos)
    contact = make_contact(name="One")

    page = add_to_campaign(client, [contact])
    assert set(page.context["form"].fields["campaign"].queryset) == {sales}
    add_to_campaign(client, [contact], other)
    assert recipients(other) == []
    add_to_campaign(client, [contact], sales)
    assert recipients(sales) == ["One"]


def test_agents_are_not_offered_the_action_and_cannot_post_it(cast, login, make_contact, campaign):
    client = login(cast.alice)
    assert "add_to_campaign" not in client.get(CHANGELIST).content.decode()
    add_to_campaign(client, [make_contact()], campaign)
    assert not CampaignRecipient.objects.exists()


def test_a_running_campaign_queues_the_added_contacts_for_sending(
    cast, login, make_contact, campaign, django_capture_on_commit_callbacks, settings
):
    number = WhatsAppInstance.objects.create(
        tenant=cast.acme, name="Acme Vendas", evolution_name="add-to-campaign-test"
    )
    campaign.instances.set([number])
    Campaign.objects.filter(pk=campaign.pk).update(status=S.RUNNING)
    contacts = [make_contact() for _n in range(settings.CAMPAIGN_IN_FLIGHT_PER_NUMBER + 1)]

    with django_capture_on_commit_callbacks(execute=True):
        add_to_campaign(login(cast.ana), contacts, campaign)

    campaign.refresh_from_db()
    # The refill filled the pipeline of its one number; the rest waits its turn.
    assert campaign.counts()["queued"] == settings.CAMPAIGN_IN_FLIGHT_PER_NUMBER
    assert campaign.counts()["pending"] == 1
