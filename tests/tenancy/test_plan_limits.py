from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role, User
from campaigns.models import Campaign
from tenancy import limits
from tenancy.models import AddOn, Product


def add_user(tenant, n):
    return User.objects.create_user(
        f"extra{n}@{tenant.slug}.test", "pw-123456789", tenant=tenant, role=Role.AGENT
    )


def test_product_in_plan_is_allowed_and_missing_one_is_refused_with_its_name(cast, english):
    limits.require_product(cast.acme, Product.Code.API)  # Pro includes the API
    with pytest.raises(limits.PlanLimitError) as refused:
        limits.require_product(cast.globex, Product.Code.API)
    assert "Starter" in refused.value.messages[0]
    assert "API" in refused.value.messages[0]


def test_an_add_on_grants_a_product_until_it_expires(cast):
    api = Product.objects.get(code=Product.Code.API)
    addon = AddOn.objects.create(tenant=cast.globex, product=api)
    assert limits.has_product(cast.globex, Product.Code.API)
    addon.expires_at = timezone.now() - timedelta(minutes=1)
    addon.save()
    assert not limits.has_product(cast.globex, Product.Code.API)


def test_users_count_against_the_plan_and_the_message_says_how_many_fit(cast, english):
    # Starter allows 3 users; Globex has gabriel.
    assert limits.usage(cast.globex, limits.Resource.USERS) == 1
    assert limits.remaining(cast.globex, limits.Resource.USERS) == 2
    with pytest.raises(limits.PlanLimitError) as refused:
        limits.require_capacity(cast.globex, limits.Resource.USERS, adding=3)
    assert "2 more fit" in refused.value.messages[0]
    add_user(cast.globex, 1)
    add_user(cast.globex, 2)
    with pytest.raises(limits.PlanLimitError):
        limits.require_capacity(cast.globex, limits.Resource.USERS)


def test_inactive_users_free_their_seat(cast):
    extra = add_user(cast.globex, 1)
    add_user(cast.globex, 2)
    assert limits.remaining(cast.globex, limits.Resource.USERS) == 0
    extra.is_active = False
    extra.save()
    assert limits.remaining(cast.globex, limits.Resource.USERS) == 1


def test_add_ons_raise_the_limit(cast):
    AddOn.objects.create(tenant=cast.globex, extra_users=5)
    assert limits.limit(cast.globex, limits.Resource.USERS) == 8


def test_an_empty_plan_limit_means_unlimited(cast):
    plan = cast.globex.plan
    plan.max_users = None
    plan.save()
    cast.globex.refresh_from_db()
    assert limits.remaining(cast.globex, limits.Resource.USERS) is None
    limits.require_capacity(cast.globex, limits.Resource.USERS, adding=10_000)


def test_a_suspended_tenant_may_not_grow_or_use_products(cast, english):
    from tenancy.services import suspend

    suspend(cast.acme, reason="unpaid")
    with pytest.raises(limits.TenantSuspendedError, match="suspended"):
        limits.require_capacity(cast.acme, limits.Resource.USERS)
    with pytest.raises(limits.TenantSuspendedError):
        limits.require_product(cast.acme, Product.Code.FLOW)


def test_a_resource_without_a_registered_counter_is_a_clear_error(cast, monkeypatch):
    # Every resource has its counter since the campaigns app: take one away for this test.
    monkeypatch.delitem(limits._usage_counters, limits.Resource.CAMPAIGNS_PER_MONTH)
    with pytest.raises(LookupError, match="No usage counter registered for campaigns"):
        limits.usage(cast.acme, limits.Resource.CAMPAIGNS_PER_MONTH)


def test_campaigns_started_this_month_count_against_the_plan(cast):
    Campaign.objects.create(tenant=cast.acme, name="Maio", started_at=timezone.now())
    Campaign.objects.create(tenant=cast.acme, name="Rascunho")
    assert limits.usage(cast.acme, limits.Resource.CAMPAIGNS_PER_MONTH) == 1
