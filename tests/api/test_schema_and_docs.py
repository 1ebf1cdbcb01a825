import re

import pytest

pytestmark = pytest.mark.django_db


def test_schema_is_public_openapi_3_with_bearer_auth(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"
    for path in (
        "/api/v1/contacts/",
        "/api/v1/contacts/{id}/",
        "/api/v1/contacts/bulk/",
        "/api/v1/tags/{id}/add/",
        "/api/v1/lists/",
        "/api/v1/instances/",
    ):
        assert path in schema["paths"], path


def test_endpoints_carry_examples(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    bulk = schema["paths"]["/api/v1/contacts/bulk/"]["post"]
    assert bulk["requestBody"]["content"]["application/json"]["examples"]
    listing = schema["paths"]["/api/v1/contacts/"]["get"]
    assert listing["responses"]["200"]["content"]["application/json"]["examples"]


def test_docs_load_every_asset_from_this_server(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets
    assert all(not asset.startswith(("http://", "https://", "//")) for asset in assets), assets
    assert any("drf_spectacular_sidecar/swagger-ui-dist" in asset for asset in assets)
