"""The webhook event log: tenant admins read their tenant's events and replay them; managers
and agents do not see the log; another tenant's event is a 404, replay included."""

import re

import pytest
from django.conf import settings
from django.contrib.admin import helpers
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages

from accounts.models import Role
from accounts.roles import ROLE_PERMISSIONS, sync_role_groups
from tests.admin.walk import admin_url, snapshot
from whatsapp.models import WebhookEvent, WhatsAppInstance

REPLAYED = re.compile(r"Replayed: (\d+) processed, (\d+) waiting for their message, (\d+) failed\.")


@pytest.fixture(autouse=True)
def english_pages(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def _event(tenant, key, **fields):
    line, _created = WhatsAppInstance.objects.get_or_create(
        evolution_name=f"{tenant.slug}-events", defaults={"tenant": tenant, "name": "Line"}
    )
    return WebhookEvent.objects.create(
        tenant=tenant,
        instance=line,
        event=fields.pop("event", "MESSAGES_UPSERT"),
        dedup_key=key,
        payload=fields.pop("payload", {"event": "messages.upsert", "data": {"key": key}}),
        **fields,
    )


@pytest.fixture
def events(cast):
    return {
        "acme": _event(cast.acme, "acme-1", error="Boom: the message had no key"),
        "acme_status": _event(cast.acme, "acme-2", event="MESSAGES_UPDATE"),
        "globex": _event(cast.globex, "globex-1"),
    }


def _replay_counts(response):
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    found = [REPLAYED.search(text) for text in texts]
    return [tuple(map(int, match.groups())) for match in found if match]


def test_tenant_admin_sees_own_events_only(cast, login, events):
    response = login(cast.ana).get(admin_url(WebhookEvent, "changelist"))
    assert response.status_code == 200
    assert {e.pk for e in response.context["cl"].result_list} == {
        events["acme"].pk,
        events["acme_status"].pk,
    }
    assert "Boom: the message had no key" in response.content.decode()


def test_event_filter_and_payload(cast, login, events):
    client = login(cast.ana)
    response = client.get(admin_url(WebhookEvent, "changelist"), {"event": "MESSAGES_UPDATE"})
    assert [e.pk for e in response.context["cl"].result_list] == [events["acme_status"].pk]
    page = client.get(admin_url(WebhookEvent, "change", events["acme"])).content.decode()
    assert "&quot;data&quot;: {\n    &quot;key&quot;: &quot;acme-1&quot;" in page


@pytest.mark.parametrize("persona", ["marcos", "alice"])
def test_managers_and_agents_do_not_see_the_log(cast, login, events, persona):
    client = login(cast.users[persona])
    assert client.get(admin_url(WebhookEvent, "changelist")).status_code == 403
    assert client.get(admin_url(WebhookEvent, "change", events["acme"])).status_code == 403
    replay = admin_url(WebhookEvent, "change", events["acme"]).replace("/change/", "/replay/")
    assert client.post(replay).status_code == 403


def test_other_tenant_event_answers_404_replay_included(cast, login, events):
    client = login(cast.gabriel)
    change = admin_url(WebhookEvent, "change", events["acme"])
    before = snapshot(events["acme"])
    assert client.get(change).status_code == 404
    assert client.post(change.replace("/change/", "/replay/")).status_code == 404
    assert snapshot(events["acme"]) == before


def test_nobody_edits_an_event(cast, login, events):
    event = events["acme"]
    before = snapshot(event)
    for persona in ("ana", "staff"):
        client = login(cast.users[persona])
        response = client.post(admin_url(WebhookEvent, "change", event), {"status": "processed"})
        assert response.status_code == 403
        assert client.get(admin_url(WebhookEvent, "add")).status_code == 403
    assert snapshot(event) == before


def test_tenant_admin_replays_selected_events(cast, login, events):
    response = login(cast.ana).post(
        admin_url(WebhookEvent, "changelist"),
        {
            "action": "replay_selected",
            "index": "0",
            # The other tenant's event is ignored: the selection is read from ana's list.
            helpers.ACTION_CHECKBOX_NAME: [
                str(events["acme"].pk),
                str(events["acme_status"].pk),
                str(events["globex"].pk),
            ],
        },
        follow=True,
    )
    assert response.status_code == 200
    assert [sum(counts) for counts in _replay_counts(response)] == [2]


def test_tenant_admin_replays_one_event_from_its_page(cast, login, events):
    client = login(cast.ana)
    change = admin_url(WebhookEvent, "change", events["acme"])
    replay = change.replace("/change/", "/replay/")
    assert replay in client.get(change).content.decode()  # the button
    confirm = client.get(replay)
    assert confirm.status_code == 200 and 'method="post"' in confirm.content.decode()
    response = client.post(replay, follow=True)
    assert response.redirect_chain[-1][0] == change
    assert [sum(counts) for counts in _replay_counts(response)] == [1]


def test_replay_is_for_admins_not_for_viewers(cast, login, events, monkeypatch):
    """A manager given view access to the log still may not replay."""
    monkeypatch.setitem(
        ROLE_PERMISSIONS,
        Role.MANAGER,
        {**ROLE_PERMISSIONS[Role.MANAGER], "whatsapp.webhookevent": ("view",)},
    )
    sync_role_groups(Group, Permission)
    client = login(cast.marcos)
    change = admin_url(WebhookEvent, "change", events["acme"])
    page = client.get(change)
    assert page.status_code == 200
    assert change.replace("/change/", "/replay/") not in page.content.decode()
    assert client.post(change.replace("/change/", "/replay/")).status_code == 403
    response = client.post(
        admin_url(WebhookEvent, "changelist"),
        {
            "action": "replay_selected",
            "index": "0",
            helpers.ACTION_CHECKBOX_NAME: [str(events["acme"].pk)],
        },
        follow=True,
    )
    assert _replay_counts(response) == []
