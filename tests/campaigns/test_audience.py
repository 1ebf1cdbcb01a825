import pytest
from django.core.exceptions import ValidationError

from campaigns import audience
from campaigns.models import Campaign, CampaignEvent, CampaignRecipient
from contacts.models import ContactList, Tag


def recipients(campaign):
    return set(
        CampaignRecipient.objects.filter(campaign=campaign).values_list("contact__name", flat=True)
    )


def names(queryset):
    return sorted(queryset.values_list("name", flat=True))


def assert_counters_match_rows(campaign):
    campaign.refresh_from_db()
    for status in CampaignRecipient.Status.values:
        rows = CampaignRecipient.objects.filter(campaign=campaign, status=status).count()
        assert campaign.counts()[status] == rows, status


def test_audience_by_tag(campaign, make_contact, vip):
    make_contact(name="Vip", tags=[vip])
    make_contact(name="Plain")
    campaign.audience_tags.add(vip)
    assert names(audience.audience_queryset(campaign)) == ["Vip"]


def test_audience_by_list(campaign, make_contact, newsletter):
    make_contact(name="Reader", lists=[newsletter])
    make_contact(name="Plain")
    campaign.audience_lists.add(newsletter)
    assert names(audience.audience_queryset(campaign)) == ["Reader"]


def test_audience_by_saved_filter_of_the_contacts_changelist(campaign, make_contact):
    make_contact(name="Paulista", state="SP")
    make_contact(name="Carioca", state="RJ")
    make_contact(name="Ouro", state="RJ", custom_fields={"plano": "ouro"})
    campaign.audience_filter = "state__exact=SP"
    assert names(audience.audience_queryset(campaign)) == ["Paulista"]
    campaign.audience_filter = "custom_field=plano%3Douro"
    assert names(audience.audience_queryset(campaign)) == ["Ouro"]
    campaign.audience_filter = "q=Cari"
    assert names(audience.audience_queryset(campaign)) == ["Carioca"]


def test_no_tag_list_or_filter_means_nobody(campaign, make_contact):
    make_contact(name="Someone")
    assert not audience.audience_queryset(campaign).exists()


def test_union_of_tags_lists_and_filter_without_duplicates(
    cast, campaign, make_contact, vip, newsletter
):
    other_tag = Tag.objects.create(tenant=cast.acme, name="Lead")
    make_contact(name="Everything", state="SP", tags=[vip, other_tag], lists=[newsletter])
    make_contact(name="Tagged", tags=[other_tag])
    make_contact(name="Listed", lists=[newsletter])
    make_contact(name="Filtered", state="SP")
    make_contact(name="Nobody", state="RJ")
    campaign.audience_tags.add(vip, other_tag)
    campaign.audience_lists.add(newsletter)
    campaign.audience_filter = "state__exact=SP"
    assert names(audience.audience_queryset(campaign)) == [
        "Everything",
        "Filtered",
        "Listed",
        "Tagged",
    ]
    assert audience.materialise(campaign) == 4
    assert_counters_match_rows(campaign)


def test_opted_out_contacts_are_left_out(campaign, make_contact, vip):
    make_contact(name="In", tags=[vip])
    make_contact(name="Out", tags=[vip], opted_out=True)
    make_contact(name="Out too", state="SP", opted_out=True)
    campaign.audience_tags.add(vip)
    campaign.audience_filter = "state__exact=SP"
    assert names(audience.audience_queryset(campaign)) == ["In"]


def test_other_tenants_contacts_never_join_through_a_foreign_tag_or_list(
    cast, campaign, make_contact
):
    globex_tag = Tag.objects.create(tenant=cast.globex, name="VIP")
    globex_list = ContactList.objects.create(tenant=cast.globex, name="All")
    make_contact(cast.globex, name="Globex", tags=[globex_tag], lists=[globex_list])
    campaign.audience_tags.add(globex_tag)
    campaign.audience_lists.add(globex_list)
    assert not audience.audience_queryset(campaign).exists()
    assert audience.materialise(campaign) == 0


@pytest.mark.parametrize("by_staff", [False, True])
def test_a_crafted_filter_never_reaches_another_tenant(cast, campaign, make_contact, by_staff):
    make_contact(name="Acme", state="SP")
    make_contact(cast.globex, name="Globex", state="SP")
    if by_staff:
        campaign.created_by = cast.users["staff"]
    campaign.audience_filter = f"tenant__id__exact={cast.globex.pk}"
    assert not audience.audience_queryset(campaign).exists()
    campaign.audience_filter = "state__exact=SP"
    assert names(audience.audience_queryset(campaign)) == ["Acme"]


@pytest.mark.parametrize(
    "query", ["created_by__password__startswith=a", "state__exact=SP&no_such_field=1"]
)
def test_a_filter_the_changelist_refuses_is_a_validation_error(campaign, query):
    campaign.audience_filter = query
    with pytest.raises(ValidationError):
        audience.audience_queryset(campaign)


def test_the_filter_is_replayed_as_its_author_sees_the_contacts(cast, campaign, make_contact):
    make_contact(name="Acme", state="SP")
    campaign.audience_filter = "state__exact=SP"
    campaign.created_by = cast.gabriel  # Globex's admin sees no Acme contact
    assert not audience.audience_queryset(campaign).exists()
    campaign.created_by = None
    with pytest.raises(ValidationError):
        audience.audience_queryset(campaign)


def test_materialise_twice_creates_nothing_new_and_counters_equal_rows(campaign, make_contact, vip):
    for n in range(3):
        make_contact(name=f"Vip {n}", tags=[vip])
    campaign.audience_tags.add(vip)
    assert audience.materialise(campaign) == 3
    assert audience.materialise(campaign) == 0
    assert_counters_match_rows(campaign)
    assert campaign.counts()["pending"] == 3
    # A contact tagged later joins only when materialise runs again (the start).
    make_contact(name="Late", tags=[vip])
    assert recipients(campaign) == {"Vip 0", "Vip 1", "Vip 2"}
    assert audience.materialise(campaign) == 1
    assert_counters_match_rows(campaign)
    assert campaign.counts()["pending"] == 4


def test_recipients_are_pending_and_belong_to_the_campaigns_tenant(
    cast, campaign, make_contact, vip
):
    make_contact(name="Vip", tags=[vip])
    campaign.audience_tags.add(vip)
    audience.materialise(campaign)
    recipient = CampaignRecipient.objects.get(campaign=campaign)
    assert recipient.status == CampaignRecipient.Status.PENDING
    assert recipient.tenant_id == cast.acme.pk
    assert recipient.attempts == 0 and recipient.provider_id == "" and recipient.sent_at is None


def test_add_contacts_adds_only_new_and_logs_it(cast, campaign, make_contact, vip):
    first, second = make_contact(name="First", tags=[vip]), make_contact(name="Second")
    opted_out = make_contact(name="Gone", opted_out=True)
    campaign.audience_tags.add(vip)
    audience.materialise(campaign)
    added = audience.add_contacts(campaign, [first.pk, str(second.pk), opted_out.pk], by=cast.ana)
    assert added == 1
    assert recipients(campaign) == {"First", "Second"}
    assert_counters_match_rows(campaign)
    event = CampaignEvent.objects.get(campaign=campaign)
    assert event.kind == CampaignEvent.Kind.RECIPIENTS_ADDED and event.actor == cast.ana
    assert audience.add_contacts(campaign, [second.pk], by=cast.ana) == 0


def test_add_contacts_rejects_another_tenants_ids(cast, campaign, make_contact):
    mine = make_contact(name="Mine")
    foreign = make_contact(cast.globex, name="Foreign")
    with pytest.raises(ValidationError):
        audience.add_contacts(campaign, [mine.pk, foreign.pk], by=cast.ana)
    with pytest.raises(ValidationError):
        audience.add_contacts(campaign, ["not-a-uuid"], by=cast.ana)
    assert recipients(campaign) == set()
    assert_counters_match_rows(campaign)


@pytest.mark.parametrize("status", [Campaign.Status.COMPLETED, Campaign.Status.CANCELLED])
def test_add_contacts_refuses_a_closed_campaign(cast, campaign, make_contact, status):
    Campaign.objects.filter(pk=campaign.pk).update(status=status)
    with pytest.raises(ValidationError):
        audience.add_contacts(campaign, [make_contact().pk], by=cast.ana)


def test_add_contacts_works_on_a_running_campaign(cast, campaign, make_contact):
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.RUNNING)
    assert audience.add_contacts(campaign, [make_contact().pk], by=cast.ana) == 1


def test_a_selection_campaign_keeps_its_contacts_and_start_adds_nothing(cast, make_contact):
    chosen = [make_contact(name=f"Chosen {n}") for n in range(2)]
    make_contact(name="Not chosen")
    campaign = audience.draft_for_contacts(cast.acme, [c.pk for c in chosen], by=cast.marcos)
    assert campaign.status == Campaign.Status.DRAFT and campaign.created_by == cast.marcos
    assert recipients(campaign) == {"Chosen 0", "Chosen 1"}
    assert audience.materialise(campaign) == 0
    assert_counters_match_rows(campaign)


def test_contacts_for_selection_is_tenant_scoped(cast, make_contact):
    mine = make_contact(name="Mine")
    foreign = make_contact(cast.globex, name="Foreign")
    assert names(audience.contacts_for_selection(cast.acme, [mine.pk])) == ["Mine"]
    with pytest.raises(ValidationError):
        audience.contacts_for_selection(cast.acme, [foreign.pk])
