"""Cursor pages over rows that share a creation time: none skipped, none repeated."""

from datetime import timedelta

import pytest
from django.utils import timezone

from contacts import services as contact_services
from contacts.models import Contact

pytestmark = pytest.mark.django_db

CONTACTS = "/api/v1/contacts/"


@pytest.fixture
def tied_contacts(cast):
    """Seven contacts written in one instant (as a bulk upsert writes them), one older, one
    newer, and one of Globex at the same instant."""
    rows = [
        contact_services.create_contact(cast.acme, name=f"C{n}", phone=f"(11) 98765-43{n:02d}")
        for n in range(9)
    ]
    instant = timezone.now() - timedelta(hours=1)
    Contact.objects.filter(pk__in=[row.pk for row in rows[1:8]]).update(created_at=instant)
    Contact.objects.filter(pk=rows[0].pk).update(created_at=instant - timedelta(seconds=1))
    Contact.objects.filter(pk=rows[8].pk).update(created_at=instant + timedelta(seconds=1))
    globex = contact_services.create_contact(cast.globex, name="G", phone="(21) 98765-4300")
    Contact.objects.filter(pk=globex.pk).update(created_at=instant)
    return rows


def walk(client, url, link) -> list[list[str]]:
    pages = []
    while url:
        body = client.get(url).json()
        pages.append([row["id"] for row in body["results"]])
        url = body[link]
    return pages


def test_pages_of_tied_timestamps_skip_and_repeat_nothing(acme_api, tied_contacts):
    expected = [str(row.pk) for row in sorted(tied_contacts, key=lambda r: r.pk, reverse=True)]
    newest, oldest = str(tied_contacts[8].pk), str(tied_contacts[0].pk)
    expected = [newest] + [pk for pk in expected if pk not in (newest, oldest)] + [oldest]
    forward = walk(acme_api, f"{CONTACTS}?limit=2", "next")
    assert [len(page) for page in forward] == [2, 2, 2, 2, 1]
    assert [pk for page in forward for pk in page] == expected

    # And back from the last page through the previous links, the same pages in reverse.
    last = acme_api.get(f"{CONTACTS}?limit=2").json()
    while last["next"]:
        last = acme_api.get(last["next"]).json()
    backward = walk(acme_api, last["previous"], "previous")
    assert backward == forward[-2::-1]


def test_a_changed_row_between_pages_neither_skips_nor_repeats(acme_api, tied_contacts):
    first = acme_api.get(f"{CONTACTS}?limit=3").json()
    contact_services.create_contact(
        tied_contacts[0].tenant, name="New", phone="(11) 98765-4399"
    )  # newer than every page: it belongs before the first one, not in the next
    rest = walk(acme_api, first["next"], "next")
    seen = [row["id"] for row in first["results"]] + [pk for page in rest for pk in page]
    assert len(seen) == len(set(seen)) == 9


@pytest.mark.parametrize("cursor", ["garbage", "eyJrIjpbIngiXSwiYiI6ZmFsc2V9", "e30"])
def test_a_forged_cursor_is_a_clear_404(acme_api, tied_contacts, cursor):
    response = acme_api.get(CONTACTS, {"cursor": cursor})
    assert response.status_code == 404
    assert "cursor" in response.json()["message"]
