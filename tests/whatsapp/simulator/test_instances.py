"""/instance/* and /webhook/*: status codes and error bodies of the 2.3.7 contract."""

import re
import time

import pytest

from .helpers import Api, webhook_object

UNAUTHORIZED = {"status": 401, "error": "Unauthorized", "response": {"message": "Unauthorized"}}


@pytest.fixture
def api(evolution_simulator):
    return Api(evolution_simulator)


def test_welcome_needs_no_key(evolution_simulator):
    body = Api(evolution_simulator, key="").get("/").json()
    assert body["status"] == 200
    assert body["message"] == "Welcome to the Evolution API, it is working!"
    assert body["version"] == "2.3.7"


def test_create_answers_201_with_an_upper_case_uuid_hash(api):
    answer = api.create("shop")
    assert answer.status_code == 201
    body = answer.json()
    assert re.fullmatch(r"[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}", body["hash"])
    assert body["instance"]["status"] == "close"
    assert body["webhook"] == {} and "qrcode" not in body


def test_create_keeps_a_given_token_and_webhook(api, webhook_capture):
    hook = webhook_object(webhook_capture.url, headers={"x-secret": "s"})
    body = api.create("shop", token="my-token", webhook=hook).json()
    assert body["hash"] == "my-token"
    assert body["webhook"] == {
        "webhookUrl": webhook_capture.url,
        "webhookHeaders": {"x-secret": "s"},
        "webhookByEvents": False,
        "webhookBase64": False,
    }
    found = api.get("/webhook/find/shop").json()
    assert found["enabled"] is True and len(found["events"]) == 31


def test_create_with_qrcode_returns_a_png_qr(api):
    body = api.create("shop", qrcode=True, number="5511900001111").json()
    assert body["instance"]["status"] == "connecting"
    assert body["qrcode"]["code"].startswith("2@")
    assert body["qrcode"]["base64"].startswith("data:image/png;base64,iVBOR")
    assert len(body["qrcode"]["pairingCode"]) == 8
    assert body["qrcode"]["count"] == 1


def test_create_errors(api, evolution_simulator):
    api.create("shop")
    duplicate = Api(evolution_simulator, key="").create("shop")  # 403 comes before auth
    assert duplicate.status_code == 403
    assert duplicate.json()["response"]["message"] == ['This name "shop" is already in use.']
    assert Api(evolution_simulator, key="wrong").create("other").json() == UNAUTHORIZED
    no_integration = api.post("/instance/create", json={"instanceName": "x"})
    assert no_integration.status_code == 400
    assert no_integration.json()["response"]["message"] == ["Invalid integration"]
    no_name = api.post("/instance/create", json={"integration": "WHATSAPP-BAILEYS"})
    assert no_name.json()["response"]["message"] == [['instance requires property "instanceName"']]
    no_events = api.create("y", webhook={"url": "http://a.example.com"})
    assert no_events.json()["response"]["message"] == [
        "Cannot read properties of undefined (reading 'length')"
    ]


def test_instance_token_cannot_create(api, evolution_simulator):
    token = api.create("shop").json()["hash"]
    assert Api(evolution_simulator, key=token).create("other").status_code == 401


def test_unknown_instance_is_404_before_auth(evolution_simulator):
    answer = Api(evolution_simulator, key="").get("/instance/connectionState/ghost")
    assert answer.status_code == 404
    assert answer.json() == {
        "status": 404,
        "error": "Not Found",
        "response": {"message": ['The "ghost" instance does not exist']},
    }


def test_wrong_key_on_an_existing_instance_is_401(api, evolution_simulator):
    api.create("shop")
    answer = Api(evolution_simulator, key="nope").get("/instance/connectionState/shop")
    assert answer.status_code == 401 and answer.json() == UNAUTHORIZED


def test_instance_token_works_on_its_own_routes_only(api, evolution_simulator):
    token = api.create("shop").json()["hash"]
    api.create("other")
    as_token = Api(evolution_simulator, key=token)
    assert as_token.get("/instance/connectionState/shop").status_code == 200
    assert as_token.get("/instance/connectionState/other").status_code == 401
    rows = as_token.get("/instance/fetchInstances").json()
    assert [r["name"] for r in rows] == ["shop"]
    assert rows[0]["token"] == token


def test_fetch_instances(api, evolution_simulator):
    api.connected("shop")
    api.create("other")
    assert {r["name"] for r in api.get("/instance/fetchInstances").json()} == {"shop", "other"}
    row = api.get("/instance/fetchInstances", params={"instanceName": "shop"}).json()[0]
    assert row["connectionStatus"] == "open"
    assert row["ownerJid"] == "5511900001111@s.whatsapp.net"
    assert row["profileName"] == "Loja Exemplo"
    missing = api.get("/instance/fetchInstances", params={"instanceName": "x"})
    assert missing.status_code == 404
    assert missing.json()["response"]["message"] == ['Instance "x" not found']
    unknown = Api(evolution_simulator, key="nope").get("/instance/fetchInstances")
    assert unknown.status_code == 401


def test_connect_and_connection_state(api, evolution_simulator):
    api.create("shop")
    assert api.get("/instance/connectionState/shop").json() == {
        "instance": {"instanceName": "shop", "state": "close"}
    }
    qr = api.get("/instance/connect/shop").json()
    assert qr["base64"].startswith("data:image/png;base64,") and qr["pairingCode"] is None
    assert api.get("/instance/connect/shop").json()["code"] == qr["code"]  # same QR while waiting
    evolution_simulator.control.scan("shop")
    assert api.get("/instance/connect/shop").json() == {
        "instance": {"instanceName": "shop", "state": "open"}
    }


def test_connect_delay_switch_connects_by_itself(api, evolution_simulator):
    evolution_simulator.control.configure(connect_delay_seconds=0.05)
    api.create("shop", qrcode=True)
    deadline = time.monotonic() + 3
    while api.get("/instance/connectionState/shop").json()["instance"]["state"] != "open":
        assert time.monotonic() < deadline, "never connected"
        time.sleep(0.02)


def test_logout_and_delete(api):
    api.create("shop")
    not_connected = api.delete("/instance/logout/shop")
    assert not_connected.status_code == 400
    assert not_connected.json()["response"]["message"] == ['The "shop" instance is not connected']
    api.sim.control.scan("shop")
    answer = api.delete("/instance/logout/shop")
    assert answer.status_code == 200
    assert answer.json() == {
        "status": "SUCCESS",
        "error": False,
        "response": {"message": "Instance logged out"},
    }
    row = api.get("/instance/fetchInstances", params={"instanceName": "shop"}).json()[0]
    assert row["connectionStatus"] == "close" and row["disconnectionReasonCode"] == 401
    deleted = api.delete("/instance/delete/shop")
    assert deleted.json()["response"]["message"] == "Instance deleted"
    assert api.get("/instance/connectionState/shop").status_code == 404


def test_webhook_set_and_find(api, webhook_capture):
    api.create("shop")
    assert api.get("/webhook/find/shop").json() is None
    hook = {"enabled": True, "url": webhook_capture.url, "events": ["MESSAGES_UPSERT"]}
    answer = api.post("/webhook/set/shop", json={"webhook": hook})
    assert answer.status_code == 201
    row = answer.json()
    assert row["events"] == ["MESSAGES_UPSERT"] and row["webhookByEvents"] is False
    assert api.get("/webhook/find/shop").json() == row
    disabled = api.post("/webhook/set/shop", json={"webhook": {**hook, "enabled": False}})
    assert disabled.json()["events"] == []
    every = api.post("/webhook/set/shop", json={"webhook": {**hook, "events": []}})
    assert len(every.json()["events"]) == 31


def test_webhook_set_errors(api):
    api.create("shop")
    flat = api.post("/webhook/set/shop", json={"url": "http://x.example.com", "events": []})
    assert flat.status_code == 400
    assert flat.json()["response"]["message"] == [['instance requires property "webhook"']]
    missing = api.post("/webhook/set/shop", json={"webhook": {"events": []}})
    assert missing.json()["response"]["message"] == [
        [
            'webhook requires property "enabled"',
            'webhook requires property "url"',
        ]
    ]
    bad_event = api.post(
        "/webhook/set/shop",
        json={"webhook": {"enabled": True, "url": "http://a.example.com", "events": ["NOPE"]}},
    )
    message = bad_event.json()["response"]["message"][0][0]
    assert message.startswith("webhook.events[0] is not one of enum values: APPLICATION_STARTUP,")
    no_events = api.post(
        "/webhook/set/shop", json={"webhook": {"enabled": True, "url": "http://a.example.com"}}
    )
    assert no_events.status_code == 500
    assert no_events.json() == {
        "status": 500,
        "error": "Internal Server Error",
        "response": {"message": "Cannot read properties of undefined (reading 'length')"},
    }


def test_unknown_routes_answer_like_express(api):
    api.create("shop")
    answer = api.post("/message/editMessage/shop", json={})
    assert answer.status_code == 404
    assert answer.json() == {
        "status": 404,
        "error": "Not Found",
        "response": {"message": ["Cannot POST /message/editMessage/shop"]},
    }
    assert api.get("/message/sendText/shop").json()["response"]["message"] == [
        "Cannot GET /message/sendText/shop"
    ]


def test_control_api_needs_the_global_key(evolution_simulator):
    assert Api(evolution_simulator, key="nope").get("/_simulator/config").status_code == 401
