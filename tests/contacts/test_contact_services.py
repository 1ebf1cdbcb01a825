import pytest
from django.core.exceptions import ValidationError

from contacts import services
from contacts.models import Contact, ContactEvent, ContactList, Tag
from tenancy import limits


def test_phones_in_any_writing_become_one_contact(cast):
    services.create_contact(cast.acme, name="Ana", phone="(11) 98765-4321")
    with pytest.raises(ValidationError) as duplicate:
        services.create_contact(cast.acme, name="Ana again", phone="5511987654321")
    assert "phone" in duplicate.value.error_dict or "__all__" in duplicate.value.error_dict
    assert Contact.objects.for_tenant(cast.acme).get().phone == "+5511987654321"


def test_the_same_phone_may_exist_in_two_companies(cast):
    services.create_contact(cast.acme, phone="(11) 98765-4321")
    services.create_contact(cast.globex, phone="(11) 98765-4321")
    assert Contact.objects.filter(phone="+5511987654321").count() == 2


def test_creating_a_contact_writes_the_timeline(cast):
    contact = services.create_contact(cast.acme, phone="(11) 98765-4321", by=cast.ana)
    event = ContactEvent.objects.get(contact=contact)
    assert (event.kind, event.actor) == (ContactEvent.Kind.CREATED, cast.ana)


def test_the_plan_contact_limit_is_enforced(cast, english):
    plan = cast.globex.plan
    plan.max_contacts = 1
    plan.save()
    services.create_contact(cast.globex, phone="(21) 99876-5432")
    with pytest.raises(limits.PlanLimitError, match="0 more fit"):
        services.create_contact(cast.globex, phone="(21) 99876-5433")


def test_tagging_counts_only_new_links_and_never_another_tenants_contacts(
    cast, acme_contacts, globex_contact, vip, all_contacts
):
    assert services.add_tag(cast.acme, all_contacts, vip) == 5
    assert services.add_tag(cast.acme, all_contacts, vip) == 0  # already tagged
    vip.refresh_from_db()
    assert vip.contact_count == 5
    assert not globex_contact.tags.exists()
    assert ContactEvent.objects.filter(kind=ContactEvent.Kind.TAGGED).count() == 5


def test_removing_a_tag_moves_the_counter_back(cast, acme_contacts, vip, all_contacts):
    services.add_tag(cast.acme, all_contacts, vip)
    first_two = Contact.objects.filter(pk__in=[c.pk for c in acme_contacts[:2]])
    assert services.remove_tag(cast.acme, first_two, vip) == 2
    vip.refresh_from_db()
    assert vip.contact_count == 3


def test_another_tenants_tag_is_refused(cast, globex_contact, all_contacts):
    globex_tag = Tag.objects.create(tenant=cast.globex, name="G")
    with pytest.raises(ValueError, match="another company"):
        services.add_tag(cast.acme, all_contacts, globex_tag)


def test_lists_count_their_members(cast, acme_contacts, newsletter, all_contacts):
    assert services.add_to_list(cast.acme, all_contacts, newsletter) == 5
    newsletter.refresh_from_db()
    assert newsletter.contact_count == 5
    assert ContactList.objects.get(pk=newsletter.pk).contact_set.count() == 5


def test_opt_out_keeps_the_first_date_and_reason(cast, acme_contacts, all_contacts):
    assert services.opt_out(cast.acme, all_contacts, reason="asked to stop") == 5
    first = Contact.objects.get(pk=acme_contacts[0].pk)
    assert services.opt_out(cast.acme, all_contacts, reason="again") == 0
    again = Contact.objects.get(pk=acme_contacts[0].pk)
    assert (again.opted_out_at, again.opt_out_reason) == (first.opted_out_at, "asked to stop")
    assert services.opt_in(cast.acme, all_contacts) == 5
    assert not Contact.objects.filter(opted_out=True).exists()


def test_deleting_contacts_takes_them_off_the_counters(
    cast, acme_contacts, vip, newsletter, all_contacts
):
    services.add_tag(cast.acme, all_contacts, vip)
    services.add_to_list(cast.acme, all_contacts, newsletter)
    services.delete_contacts(cast.acme, Contact.objects.filter(pk=acme_contacts[0].pk))
    vip.refresh_from_db()
    newsletter.refresh_from_db()
    assert (vip.contact_count, newsletter.contact_count) == (4, 4)
