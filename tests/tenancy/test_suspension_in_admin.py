from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from tenancy.models import Tenant


def test_staff_suspend_through_the_action_not_the_form(cast, login):
    client = login(cast.users["staff"])
    url = f"/admin/tenancy/tenant/{cast.acme.pk}/change/"
    form = {
        "name": "Acme",
        "slug": "acme",
        "timezone": "America/Sao_Paulo",
        "country": "BR",
        "plan": cast.acme.plan_id,
        "status": "suspended",
    }
    assert client.post(url, form).status_code == 302
    assert Tenant.objects.get(pk=cast.acme.pk).status == Tenant.Status.ACTIVE  # ignored

    client.post(
        "/admin/tenancy/tenant/",
        {"action": "suspend_selected", ACTION_CHECKBOX_NAME: [cast.acme.pk]},
    )
    assert Tenant.objects.get(pk=cast.acme.pk).status == Tenant.Status.SUSPENDED
    client.post(
        "/admin/tenancy/tenant/",
        {"action": "reactivate_selected", ACTION_CHECKBOX_NAME: [cast.acme.pk]},
    )
    assert Tenant.objects.get(pk=cast.acme.pk).status == Tenant.Status.ACTIVE
