import pytest
from django.core.exceptions import ImproperlyConfigured

from alrea.env import Env


def test_unset_values_fall_back_to_defaults():
    env = Env({})
    assert env.str("X", "d") == "d"
    assert env.bool("X", True) is True
    assert env.int("X", 7) == 7
    assert env.list("X", ["a"]) == ["a"]
    assert env.url("X", ("redis",)) is None


def test_booleans_accept_common_spellings():
    assert Env({"A": "Yes", "B": "0", "C": "on", "D": "false"}).bool("A") is True
    assert Env({"B": "0"}).bool("B", True) is False
    assert Env({"C": "on"}).bool("C") is True
    assert Env({"D": "false"}).bool("D", True) is False


def test_a_bad_boolean_fails_naming_the_variable():
    with pytest.raises(ImproperlyConfigured, match="DEBUG must be a boolean"):
        Env({"DEBUG": "maybe"}).bool("DEBUG")


def test_a_bad_integer_fails_naming_the_variable():
    with pytest.raises(ImproperlyConfigured, match="BUS_PREFETCH must be an integer"):
        Env({"BUS_PREFETCH": "ten"}).int("BUS_PREFETCH", 10)


def test_an_integer_below_its_minimum_fails():
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        Env({"N": "0"}).int("N", 5, min_value=1)


def test_an_integer_above_its_maximum_fails():
    with pytest.raises(ImproperlyConfigured, match="at most 240"):
        Env({"N": "241"}).int("N", 5, max_value=240)
    assert Env({"N": "240"}).int("N", 5, max_value=240) == 240


def test_lists_are_comma_separated_and_trimmed():
    assert Env({"HOSTS": " a.com, b.com ,,"}).list("HOSTS") == ["a.com", "b.com"]


def test_choice_rejects_unknown_values():
    assert Env({"MODE": "Production"}).choice("MODE", ("development", "production"), "x") == (
        "production"
    )
    with pytest.raises(ImproperlyConfigured, match="MODE must be one of"):
        Env({"MODE": "staging"}).choice("MODE", ("development", "production"), "development")


def test_url_with_wrong_scheme_fails():
    with pytest.raises(ImproperlyConfigured, match="REDIS_URL must start with redis://"):
        Env({"REDIS_URL": "http://localhost:6379"}).url("REDIS_URL", ("redis",))


def test_url_without_host_fails():
    with pytest.raises(ImproperlyConfigured, match="must name a host"):
        Env({"DATABASE_URL": "postgres://"}).url("DATABASE_URL", ("postgres",))


def test_required_value_missing_fails():
    with pytest.raises(ImproperlyConfigured, match="S3_ACCESS_KEY_ID must be set"):
        Env({}).str("S3_ACCESS_KEY_ID", required=True)


def test_an_empty_boolean_keeps_its_default():
    assert Env({"SECURE_SSL_REDIRECT": ""}).bool("SECURE_SSL_REDIRECT", True) is True
