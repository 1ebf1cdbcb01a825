import pytest

from contacts import services as contact_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def maria(cast):
    return contact_services.create_contact(cast.acme, name="Maria", phone="(11) 98765-4321")


def test_read_scope_reads_but_cannot_write(api, make_key, maria):
    client = api(make_key(key_scopes=["contacts:read"]))
    assert client.get("/api/v1/contacts/").status_code == 200
    assert client.get(f"/api/v1/contacts/{maria.pk}/").status_code == 200
    response = client.post("/api/v1/contacts/", {"phone": "11912345678"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "missing_scope"
    assert "contacts:write" in response.json()["message"]
    assert client.delete(f"/api/v1/contacts/{maria.pk}/").status_code == 403


def test_write_scope_does_not_imply_read(api, make_key, maria):
    client = api(make_key(key_scopes=["contacts:write"]))
    assert client.get("/api/v1/contacts/").status_code == 403
    created = client.post("/api/v1/contacts/", {"phone": "11912345678"}, format="json")
    assert created.status_code == 201


def test_bulk_upsert_needs_contacts_write(api, make_key):
    client = api(make_key(key_scopes=["contacts:read"]))
    response = client.post(
        "/api/v1/contacts/bulk/", {"contacts": [{"phone": "11912345678"}]}, format="json"
    )
    assert response.status_code == 403


def test_instances_are_read_with_messages_read(api, make_key):
    assert api(make_key(key_scopes=["contacts:read"])).get("/api/v1/instances/").status_code == 403
    assert api(make_key(key_scopes=["messages:read"])).get("/api/v1/instances/").status_code == 200


def test_other_areas_scopes_do_not_open_contacts(api, make_key):
    client = api(make_key(key_scopes=["campaigns:read", "campaigns:write", "webhooks:write"]))
    assert client.get("/api/v1/contacts/").status_code == 403
    assert client.get("/api/v1/tags/").status_code == 403
