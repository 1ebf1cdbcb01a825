import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from campaigns.models import Campaign, CampaignRecipient

CHANGELIST = "/admin/contacts/contact/"


def create_campaign(client, contacts):
    return client.post(
        CHANGELIST,
        {"action": "create_campaign", ACTION_CHECKBOX_NAME: [c.pk for c in contacts]},
    )


@pytest.mark.parametrize("who", ["ana", "marcos"])
def test_admins_and_managers_create_a_draft_campaign_from_selected_contacts(
    cast, login, make_contact, who
):
    user = getattr(cast, who)
    chosen = [make_contact(name="One"), make_contact(name="Two")]
    make_contact(name="Left out")
    response = create_campaign(login(user), chosen)
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/campaigns/campaign/{campaign.pk}/change/"
    assert (campaign.tenant, campaign.created_by, campaign.status) == (cast.acme, user, "draft")
    names = CampaignRecipient.objects.filter(campaign=campaign).values_list("contact__name")
    assert sorted(name for (name,) in names) == ["One", "Two"]
    assert campaign.counts()["pending"] == 2


def test_selecting_across_the_filtered_changelist(cast, login, make_contact):
    make_contact(name="Paulista", state="SP")
    make_contact(name="Carioca", state="RJ")
    login(cast.ana).post(
        f"{CHANGELIST}?state__exact=SP",
        {"action": "create_campaign", ACTION_CHECKBOX_NAME: ["x"], "select_across": "1"},
    )
    names = CampaignRecipient.objects.values_list("contact__name", flat=True)
    assert list(names) == ["Paulista"]


def test_agents_are_not_offered_the_action_and_cannot_post_it(cast, login, make_contact):
    client = login(cast.alice)
    assert "create_campaign" not in client.get(CHANGELIST).content.decode()
    create_campaign(client, [make_contact(name="One")])
    assert not Campaign.objects.exists()


def test_another_tenants_contacts_cannot_be_put_in_a_campaign(cast, login, make_contact):
    foreign = make_contact(cast.globex, name="Globex")
    create_campaign(login(cast.ana), [foreign])
    assert not CampaignRecipient.objects.exists()
