"""Schemathesis against /api/schema/: requests generated from every operation's schema, with a
valid key of Acme, never get a server error (issue 7). Bad input must be a 4xx with our error
body, never a 500."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

# Loaded once, when the tests are collected: drf-spectacular builds it without the database.
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@pytest.fixture(autouse=True)
def requests_keep_the_test_connection():
    """As Django's test client does: a request must not close the test's database connection."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def acme_key(cast, make_key):
    # Room for every generated request within the minute: a 429 would hide the endpoint.
    plan = cast.acme.plan
    plan.api_requests_per_minute = plan.api_requests_per_minute_per_key = 100_000
    plan.save()
    return make_key()


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@pytest.mark.django_db
def test_no_generated_request_gets_a_server_error(case, acme_key):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {acme_key}"}, checks=[not_a_server_error]
    )
