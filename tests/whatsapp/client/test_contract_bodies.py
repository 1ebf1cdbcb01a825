"""Error bodies and numbers exactly as the contract writes them (evolution-api.md §1.2-1.4,
§2.2, §2.14), including the ones the simulator has no switch for."""

import pytest

from whatsapp import evolution
from whatsapp.evolution import error_for, to_evolution_number


def test_connect_errors_come_back_as_200():
    # Not reproducible on the simulator: the parser gets the contract's body directly.
    body = {"error": True, "message": "Connection Closed"}
    with pytest.raises(evolution.Disconnected):
        evolution._connected_or_qr(body)
    with pytest.raises(evolution.ServerError) as failed:
        evolution._connected_or_qr({"error": True, "message": "something broke"})
    assert (failed.value.status, failed.value.message) == (200, "something broke")


@pytest.mark.parametrize(
    ("status", "body", "kind", "message"),
    [
        (401, {"response": {"message": "Unauthorized"}}, evolution.Unauthorized, "Unauthorized"),
        (
            404,
            {"response": {"message": ['The "x" instance does not exist']}},
            evolution.InstanceNotFound,
            'The "x" instance does not exist',
        ),
        (
            403,
            {"response": {"message": ['This name "x" is already in use.']}},
            evolution.InstanceNameInUse,
            'This name "x" is already in use.',
        ),
        (
            400,
            {"response": {"message": [['instance requires property "text"', "Invalid format"]]}},
            evolution.ValidationError,
            'instance requires property "text"; Invalid format',
        ),
        (500, {"response": {"message": "Connection Closed"}}, evolution.Disconnected, None),
        (
            400,
            {"response": {"message": ["Error: Connection Closed"]}},
            evolution.Disconnected,
            None,
        ),
        (
            500,
            {"response": {"message": "Cannot read properties of undefined (reading 'onWhatsApp')"}},
            evolution.Disconnected,
            None,
        ),
        (
            400,
            {"response": {"message": ['The "x" instance is not connected']}},
            evolution.Disconnected,
            None,
        ),
        (
            500,
            {"response": {"message": ["Read messages fail", "boom"]}},
            evolution.ServerError,
            None,
        ),
        (502, "<html>Bad Gateway</html>", evolution.ServerError, "<html>Bad Gateway</html>"),
        # whatsappNumbers: no "response" level (§1.2).
        (
            400,
            {"status": 400, "message": ["bad numbers"]},
            evolution.ValidationError,
            "bad numbers",
        ),
    ],
)
def test_error_bodies_become_typed_errors(status, body, kind, message):
    error = error_for(status, body)
    assert type(error) is kind
    assert error.status == status
    if message is not None:
        assert error.message == message


def test_not_on_whatsapp_carries_the_jid_and_number():
    body = {
        "response": {"message": [{"jid": "5511@s.whatsapp.net", "exists": False, "number": "5511"}]}
    }
    error = error_for(400, body)
    assert isinstance(error, evolution.NotOnWhatsApp)
    assert (error.jid, error.number) == ("5511@s.whatsapp.net", "5511")


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        ("+5511987654321", "5511987654321"),
        ("5511987654321", "5511987654321"),
        ("5511987654321@s.whatsapp.net", "5511987654321@s.whatsapp.net"),
        ("120363401234567890@g.us", "120363401234567890@g.us"),
        ("123456789012345@lid", "123456789012345@lid"),
    ],
)
def test_numbers_go_out_as_evolution_expects(given, sent):
    assert to_evolution_number(given) == sent


def test_a_formatted_number_is_a_programming_error():
    with pytest.raises(ValueError):
        to_evolution_number("(11) 98765-4321")


def test_jids_become_e164():
    assert evolution.jid_to_e164("5511900001111:12@s.whatsapp.net") == "+5511900001111"
    assert evolution.jid_to_e164("123@lid") == ""
