"""Campaigns over the API: created with variations and audience, run through the same services
as the admin, read with counts and recipients; Globex can never reach Acme's."""

import pytest

from api import scopes
from campaigns.models import Campaign
from contacts import services as contact_services
from contacts.models import Tag
from whatsapp.models import WhatsAppInstance

pytestmark = pytest.mark.django_db
CAMPAIGNS = "/api/v1/campaigns/"


@pytest.fixture
def acme_setup(cast):
    number = WhatsAppInstance.objects.create(
        tenant=cast.acme, name="Vendas", evolution_name="acme-vendas", state="open"
    )
    tag = Tag.objects.create(tenant=cast.acme, name="Clientes")
    for n, name in enumerate(["Maria Silva", "João Souza"]):
        contact = contact_services.create_contact(cast.acme, name=name, phone=f"(11) 98765-432{n}")
        contact.tags.add(tag)
    return {"number": number, "tag": tag}


def body(setup, **changes):
    return {
        "name": "Black Friday",
        "instances": [str(setup["number"].pk)],
        "audience_tags": [str(setup["tag"].pk)],
        "interval_min": 0,
        "interval_max": 0,
        "variations": [{"body": "Oi {{primeiro_nome}}!"}, {"body": "{{saudacao}}!"}],
        **changes,
    }


def test_create_start_pause_resume_and_cancel(acme_api, acme_setup):
    created = acme_api.post(CAMPAIGNS, body(acme_setup), format="json")
    assert created.status_code == 201, created.json()
    campaign = created.json()
    assert campaign["status"] == "draft"
    assert [v["body"] for v in campaign["variations"]] == ["Oi {{primeiro_nome}}!", "{{saudacao}}!"]
    url = f"{CAMPAIGNS}{campaign['id']}/"

    started = acme_api.post(f"{url}start/").json()
    assert started["status"] == "running"
    assert started["counts"]["total"] == 2  # the tag's two contacts, materialised
    assert acme_api.post(f"{url}pause/").json()["status"] == "paused"
    assert acme_api.post(f"{url}resume/").json()["status"] == "running"
    assert acme_api.post(f"{url}cancel/").json()["status"] == "cancelled"

    again = acme_api.post(f"{url}resume/", HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 400
    assert "A cancelled campaign cannot be resumed." in str(again.json()["errors"])


def test_recipients_are_listed_with_their_status(acme_api, acme_setup):
    campaign = acme_api.post(CAMPAIGNS, body(acme_setup), format="json").json()
    acme_api.post(f"{CAMPAIGNS}{campaign['id']}/start/")
    recipients = acme_api.get(f"{CAMPAIGNS}{campaign['id']}/recipients/").json()["results"]
    assert sorted(r["phone"] for r in recipients) == ["+5511987654320", "+5511987654321"]
    assert {r["status"] for r in recipients} <= {"pending", "queued"}
    none_sent = acme_api.get(f"{CAMPAIGNS}{campaign['id']}/recipients/", {"status": "sent"})
    assert none_sent.json()["results"] == []
    bad = acme_api.get(f"{CAMPAIGNS}{campaign['id']}/recipients/", {"status": "lost"})
    assert bad.status_code == 400


def test_an_unknown_variable_is_refused_on_its_variation(acme_api, acme_setup):
    response = acme_api.post(
        CAMPAIGNS, body(acme_setup, variations=[{"body": "Oi {{apelido}}"}]), format="json"
    )
    assert response.status_code == 400
    assert "apelido" in str(response.json()["errors"])
    assert not Campaign.objects.exists()


def test_bad_settings_are_refused_with_the_field(acme_api, acme_setup):
    slow = acme_api.post(
        CAMPAIGNS, body(acme_setup, interval_min=60, interval_max=10), format="json"
    )
    assert slow.status_code == 400 and "interval_min" in slow.json()["errors"]
    empty = acme_api.post(CAMPAIGNS, body(acme_setup, variations=[]), format="json")
    assert empty.status_code == 400 and "variations" in empty.json()["errors"]


def test_only_a_draft_is_changed_or_deleted(acme_api, acme_setup):
    campaign = acme_api.post(CAMPAIGNS, body(acme_setup), format="json").json()
    url = f"{CAMPAIGNS}{campaign['id']}/"
    renamed = acme_api.patch(
        url, {"name": "Natal", "variations": [{"body": "Feliz Natal!"}]}, format="json"
    )
    assert renamed.status_code == 200
    assert [v["body"] for v in renamed.json()["variations"]] == ["Feliz Natal!"]

    acme_api.post(f"{url}start/")
    assert acme_api.patch(url, {"name": "Late"}, format="json").status_code == 400
    assert acme_api.delete(url).status_code == 400
    assert Campaign.objects.get(pk=campaign["id"]).name == "Natal"


def test_a_read_key_reads_but_does_not_run_campaigns(api, make_key, acme_setup, acme_api):
    campaign = acme_api.post(CAMPAIGNS, body(acme_setup), format="json").json()
    reader = api(make_key(key_scopes=("campaigns:read",)))
    assert reader.get(f"{CAMPAIGNS}{campaign['id']}/").status_code == 200
    assert reader.post(f"{CAMPAIGNS}{campaign['id']}/start/").status_code == 403
    assert reader.post(CAMPAIGNS, body(acme_setup), format="json").status_code == 403
    other_area = api(make_key(key_scopes=tuple(s for s in scopes.ALL if "campaigns" not in s)))
    assert other_area.get(CAMPAIGNS).status_code == 403


def test_globex_never_reaches_acme_campaigns(api, make_key, globex_api, acme_setup, acme_api):
    campaign = acme_api.post(CAMPAIGNS, body(acme_setup), format="json").json()
    globex = api(make_key(tenant=globex_api))
    assert globex.get(CAMPAIGNS).json()["results"] == []
    for path in ("", "recipients/"):
        assert globex.get(f"{CAMPAIGNS}{campaign['id']}/{path}").status_code == 404
    for verb in ("start", "pause", "cancel"):
        assert globex.post(f"{CAMPAIGNS}{campaign['id']}/{verb}/").status_code == 404
    assert globex.delete(f"{CAMPAIGNS}{campaign['id']}/").status_code == 404
    # Nor use Acme's number or tag in a campaign of its own.
    stolen = globex.post(CAMPAIGNS, body(acme_setup), format="json")
    assert stolen.status_code == 400
    assert {"instances", "audience_tags"} <= set(stolen.json()["errors"])
    assert Campaign.objects.get(pk=campaign["id"]).status == "draft"
