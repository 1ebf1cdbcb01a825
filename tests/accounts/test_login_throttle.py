from django.test import RequestFactory

from accounts.throttle import LoginThrottle
from tests.conftest import CAST_PASSWORD


def request_from(ip):
    return RequestFactory().post("/admin/login/", REMOTE_ADDR=ip)


def test_attempts_in_flight_count_before_their_passwords_are_checked(settings):
    # Six requests racing: each counts before checking the password, so the sixth is refused
    # even though none of the first five has failed yet.
    throttles = [LoginThrottle(request_from("10.0.0.1"), "ana@acme.test") for _ in range(6)]
    assert [t.attempt() for t in throttles] == [True] * 5 + [False]


def test_other_accounts_behind_the_same_address_have_their_own_limit():
    for _ in range(5):
        LoginThrottle(request_from("10.0.0.2"), "ana@acme.test").attempt()
    assert LoginThrottle(request_from("10.0.0.2"), "marcos@acme.test").attempt()


def test_successful_logins_do_not_use_up_an_offices_address(cast, client):
    for _ in range(30):  # more than the address's limit of 20
        response = client.post(
            "/admin/login/",
            {"username": "ana@acme.test", "password": CAST_PASSWORD},
            REMOTE_ADDR="10.0.0.3",
        )
        assert response.status_code == 302
        client.logout()
