"""The live panel's JSON equals the campaign's counters (funnel steps cumulative), names the next
number to send and what each number sent in the last hour; the export lists exactly the
campaign's recipients with their statuses, escaped, as CSV and XLSX."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from campaigns import services, transitions
from campaigns.models import CampaignRecipient
from tests.campaigns.admin.pages import url
from whatsapp.models import WhatsAppInstance

R = CampaignRecipient.Status


@pytest.fixture
def running(cast, ready, connected):
    """Started, then: Maria read it, João's failed, the third was sent."""
    services.start(ready, by=cast.ana)
    maria, joao, third = CampaignRecipient.objects.filter(campaign=ready).order_by("contact__phone")
    transitions.move(maria, (R.PENDING,), R.READ, instance=connected, sent_at=timezone.now())
    transitions.move(joao, (R.PENDING,), R.FAILED, last_error="boom")
    transitions.move(third, (R.PENDING,), R.SENT, instance=connected)
    ready.refresh_from_db()
    return ready


def test_live_json_equals_the_counters(cast, login, running, connected):
    soon = timezone.now() + timedelta(seconds=30)
    WhatsAppInstance.objects.filter(pk=connected.pk).update(next_send_at=soon)
    data = login(cast.ana).get(url("live", running)).json()
    assert data["status"] == "running"
    assert data["counters"] == {status: running.counts()[status] for status in R.values}
    assert data["counters"]["read"] == 1 and data["counters"]["failed"] == 1
    assert (data["total"], data["finished"], data["progress"]) == (3, 3, 100.0)
    funnel = {step["status"]: step["count"] for step in data["funnel"]}
    assert funnel == {
        "sent": 2,  # sent + read: a read message was sent
        "delivered": 1,
        "read": 1,
        "replied": 0,
        "failed": 1,
        "skipped": 0,
    }
    failed = next(step for step in data["funnel"] if step["status"] == "failed")
    assert failed["url"].endswith(f"?campaign__id__exact={running.pk}&status__exact=failed")
    assert data["next_send"]["instance"] == "Acme Vendas"
    assert 25 < data["next_send"]["in_seconds"] <= 30
    # Maria's and the third's sends are stamped now; João never went out.
    assert data["throughput"] == [{"instance": "Acme Vendas", "sent": 2}]
    assert [event["kind"] for event in data["events"]] == ["started"]


def test_recipient_link_filters_by_campaign_and_status(cast, login, running):
    client = login(cast.ana)
    failed_url = client.get(url("live", running)).json()["funnel"][4]["url"]
    listed = client.get(failed_url).context["cl"].result_list
    assert [r.contact.name for r in listed] == ["João Pereira"]


def test_the_change_page_embeds_the_same_data(cast, login, running):
    page = login(cast.marcos).get(url("change", running)).content.decode()
    assert 'id="campaign-live-data"' in page
    assert url("live", running) in page and url("pause", running) in page
    assert url("start", running) not in page  # a running campaign offers no start


def _csv(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_csv_export_lists_the_campaigns_recipients(cast, login, running, make_campaign):
    other = make_campaign("Other")  # its recipients must not appear
    other.instances.set(running.instances.all())
    other.audience_tags.set(running.audience_tags.all())
    services.start(other, by=cast.ana)
    response = login(cast.ana).get(url("export_csv", running))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="black-friday-')
    header, *rows = _csv(response)
    assert header[:5] == ["Name", "Phone", "Status", "Why skipped", "Sent from"]
    by_name = {row[0]: row for row in rows}
    assert len(rows) == 3
    assert by_name["Maria Oliveira"][1:3] == ["(11) 98765-0000", "Read"]
    assert by_name["João Pereira"][2] == "Failed" and by_name["João Pereira"][7] == "boom"
    assert by_name["Maria Oliveira"][4] == "Acme Vendas"
    # A name that a spreadsheet would run as a formula is escaped.
    assert "'=cmd|' /C calc'!A0" in by_name


def test_xlsx_export_has_the_same_rows(cast, login, running):
    client = login(cast.ana)
    csv_rows = _csv(client.get(url("export_csv", running)))
    response = client.get(url("export_xlsx", running))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = [
        ["" if cell is None else str(cell) for cell in row]
        for row in workbook.active.iter_rows(values_only=True)
    ]
    assert rows == csv_rows
