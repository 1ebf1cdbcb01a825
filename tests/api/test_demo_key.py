import io

import pytest
from django.core.management import call_command

from api.demo import DEMO_KEY

pytestmark = pytest.mark.django_db


def test_seed_demo_prints_a_working_key_for_acme(api):
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert DEMO_KEY in out.getvalue()
    response = api(DEMO_KEY).get("/api/v1/contacts/", {"search": "(11)"})
    assert response.status_code == 200
    call_command("seed_demo", stdout=io.StringIO())  # twice changes nothing
    assert api(DEMO_KEY).get("/api/v1/contacts/").json()["results"]
