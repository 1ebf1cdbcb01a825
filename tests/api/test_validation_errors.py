import pytest

from contacts import services as contact_services
from contacts.models import Contact, Tag

pytestmark = pytest.mark.django_db

CONTACTS = "/api/v1/contacts/"


def test_invalid_values_answer_field_errors_and_store_nothing(acme_api, english):
    response = acme_api.post(
        CONTACTS,
        {"phone": "123", "email": "not-an-email", "state": "XX"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["message"]
    assert set(body["errors"]) >= {"phone", "email", "state"}
    assert "123" in body["errors"]["phone"][0]
    assert not Contact.objects.exists()


def test_duplicate_phone_is_a_validation_error(acme_api, cast):
    contact_services.create_contact(cast.acme, phone="(11) 98765-4321")
    response = acme_api.post(CONTACTS, {"phone": "+5511987654321"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert Contact.objects.count() == 1


def test_bad_filter_is_an_error_not_an_empty_page(acme_api):
    response = acme_api.get(CONTACTS, {"phone": "abc"})
    assert response.status_code == 400
    assert "phone" in response.json()["errors"]
    response = acme_api.get(CONTACTS, {"tag": "not-a-uuid"})
    assert response.status_code == 400


def test_malformed_json_is_a_parse_error(acme_api):
    response = acme_api.post(CONTACTS, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_unknown_contact_is_404_in_the_error_shape(acme_api):
    for pk in ("00000000-0000-0000-0000-000000000000", "nonsense"):
        response = acme_api.get(f"{CONTACTS}{pk}/")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_duplicate_tag_name_is_a_validation_error(acme_api, cast):
    Tag.objects.create(tenant=cast.acme, name="vip")
    response = acme_api.post("/api/v1/tags/", {"name": "vip"}, format="json")
    assert response.status_code == 400
    assert Tag.objects.filter(tenant=cast.acme).count() == 1


def test_plan_limit_is_refused_with_its_code(acme_api, cast):
    cast.acme.plan.max_contacts = 0
    cast.acme.plan.save()
    response = acme_api.post(CONTACTS, {"phone": "11987654321"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "plan_limit"
