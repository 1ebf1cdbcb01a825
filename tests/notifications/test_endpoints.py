"""The bell's endpoints: the summary it polls, marking read, opening a notification. Signed-in
users only, their own notifications only."""

import uuid

from notifications.models import Notification

SUMMARY, READ = "/notifications/summary/", "/notifications/read/"


def test_anonymous_callers_get_401_in_json(client):
    assert client.get(SUMMARY).status_code == 401
    answer = client.post(READ, {"all": "1"})
    assert answer.status_code == 401 and "error" in answer.json()


def test_the_summary_is_the_users_own_unread_count_and_latest(cast, login, notify_one):
    older = notify_one(cast.ana, title="older")
    newer = notify_one(cast.ana, title="newer")
    notify_one(cast.marcos, title="marcos's")
    notify_one(cast.gabriel, title="gabriel's")
    Notification.objects.filter(pk=older.pk).update(created_at=newer.created_at.replace(year=2020))

    data = login(cast.ana).get(SUMMARY).json()
    assert data["unread"] == 2
    assert [n["title"] for n in data["latest"]] == ["newer", "older"]
    assert data["latest"][0] == {
        "id": str(newer.pk),
        "kind": "import_finished",
        "title": "newer",
        "body": "",
        "url": f"/notifications/{newer.pk}/open/",
        "created_at": newer.created_at.isoformat(),
        "read": False,
    }


def test_staff_get_an_empty_summary(cast, login, notify_one):
    notify_one(cast.ana)
    assert login(cast.staff).get(SUMMARY).json() == {"unread": 0, "latest": []}


def test_mark_read_by_ids_ignores_other_users_ids(cast, login, notify_one):
    mine, theirs = notify_one(cast.ana), notify_one(cast.gabriel)
    answer = login(cast.ana).post(READ, {"ids": [str(mine.pk), str(theirs.pk)]})
    assert answer.json() == {"marked": 1, "unread": 0}
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_read_all(cast, login, notify_one):
    notify_one(cast.ana), notify_one(cast.ana)
    assert login(cast.ana).post(READ, {"all": "1"}).json() == {"marked": 2, "unread": 0}


def test_mark_read_refuses_bad_input_clearly_and_changes_nothing(cast, login, notify_one):
    notify_one(cast.ana)
    client = login(cast.ana)
    assert client.post(READ, {"ids": ["not-an-id"]}).status_code == 400
    assert client.post(READ, {}).status_code == 400
    assert client.get(READ).status_code == 405
    assert Notification.objects.unread().count() == 1


def test_mark_read_needs_the_csrf_token(cast, notify_one):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.ana)
    notify_one(cast.ana)
    assert client.post(READ, {"all": "1"}).status_code == 403
    assert Notification.objects.unread().count() == 1


def test_opening_marks_read_and_goes_to_the_link(cast, login, notify_one):
    notification = notify_one(cast.ana, link="/admin/contacts/contactimport/")
    answer = login(cast.ana).get(f"/notifications/{notification.pk}/open/")
    assert answer.status_code == 302 and answer.url == "/admin/contacts/contactimport/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_opening_another_users_notification_answers_404(cast, login, notify_one):
    theirs = notify_one(cast.marcos)
    client = login(cast.ana)
    assert client.get(f"/notifications/{theirs.pk}/open/").status_code == 404
    assert client.get(f"/notifications/{uuid.uuid4()}/open/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_a_link_leaving_the_site_is_not_followed(cast, login, notify_one):
    notification = notify_one(cast.ana, link="https://evil.example/")
    answer = login(cast.ana).get(f"/notifications/{notification.pk}/open/")
    assert answer.url == "/admin/notifications/notification/"
