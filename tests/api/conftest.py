import pytest
from rest_framework.test import APIClient

from api import scopes, services
from tenancy.models import AddOn, Product


@pytest.fixture
def make_key(cast):
    """make_key(tenant=acme, scopes=all, **fields) → the key in clear."""

    def make(tenant=None, key_scopes=scopes.ALL, **fields):
        _row, key = services.create_key(
            tenant or cast.acme, name=fields.pop("name", "ERP"), scopes=key_scopes, **fields
        )
        return key

    return make


@pytest.fixture
def globex_api(cast):
    """Globex's plan (Starter) has no API: an add-on sells it to them."""
    AddOn.objects.create(tenant=cast.globex, product=Product.objects.get(code=Product.Code.API))
    return cast.globex


@pytest.fixture
def api():
    """api(key) → a DRF test client sending ``Authorization: Bearer <key>``."""

    def client(key=None):
        test_client = APIClient()
        if key is not None:
            test_client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        return test_client

    return client


@pytest.fixture
def acme_api(api, make_key):
    return api(make_key())
