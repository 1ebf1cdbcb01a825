"""Evolution servers: platform staff only; the API key can be replaced, never read back."""

from django.urls import reverse

from whatsapp.models import EvolutionServer, ServerAssignment

ADD = reverse("admin:whatsapp_evolutionserver_add")


def _inline(prefix="serverassignment_set", **rows):
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, (field, value) in enumerate(rows.items()):
        data[f"{prefix}-{index}-{field}"] = value
    return data


def test_staff_add_a_server_and_point_a_company_at_it(login, cast):
    client = login(cast.users["staff"])
    response = client.post(
        ADD,
        {
            "name": "Dedicated",
            "base_url": "https://evo.example.com",
            "api_key": "very-secret-key",
            **_inline(tenant=str(cast.acme.pk)),
        },
    )
    assert response.status_code == 302
    server = EvolutionServer.objects.get(name="Dedicated")
    assert server.api_key == "very-secret-key"
    assert ServerAssignment.objects.get(tenant=cast.acme).server == server

    change = reverse("admin:whatsapp_evolutionserver_change", args=[server.pk])
    assert "very-secret-key" not in client.get(change).content.decode()
    form = {"name": "Dedicated 2", "base_url": "https://evo.example.com", "api_key": ""}
    form.update(_inline())
    assert client.post(change, form).status_code == 302
    server.refresh_from_db()
    assert (server.name, server.api_key) == ("Dedicated 2", "very-secret-key")


def test_a_new_server_needs_its_key(login, cast):
    response = login(cast.users["staff"]).post(
        ADD, {"name": "Keyless", "base_url": "https://evo.example.com", "api_key": "", **_inline()}
    )
    assert response.status_code == 200
    assert not EvolutionServer.objects.exists()


def test_tenant_admins_cannot_see_servers(login, cast):
    assert (
        login(cast.ana).get(reverse("admin:whatsapp_evolutionserver_changelist")).status_code == 403
    )
