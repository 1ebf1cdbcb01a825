"""The Notifications admin list (each user their own), its actions, and the header's bell."""

from notifications.models import Notification

LIST = "/admin/notifications/notification/"


def test_a_user_sees_only_their_own_notifications_even_as_admin(cast, login, notify_one):
    notify_one(cast.ana, title="Ana's import")
    notify_one(cast.marcos, title="Marcos's import")
    notify_one(cast.gabriel, title="Gabriel's import")

    def listed(user):
        return [n.title for n in login(user).get(LIST).context["cl"].result_list]

    assert listed(cast.ana) == ["Ana's import"]
    assert listed(cast.marcos) == ["Marcos's import"]
    assert listed(cast.alice) == []
    assert "Marcos" not in login(cast.ana).get(LIST).content.decode()


def test_another_users_notification_answers_404(cast, login, notify_one):
    theirs = notify_one(cast.marcos)
    assert login(cast.ana).get(f"{LIST}{theirs.pk}/change/").status_code == 404
    assert login(cast.marcos).get(f"{LIST}{theirs.pk}/change/").status_code == 200


def test_staff_see_everyones_with_whose_it_is(cast, login, notify_one):
    notify_one(cast.marcos, title="Marcos's import")
    notify_one(cast.gabriel, title="Gabriel's import")
    response = login(cast.staff).get(LIST)
    titles = {n.title for n in response.context["cl"].result_list}
    assert titles == {"Marcos's import", "Gabriel's import"}
    assert str(cast.marcos) in response.content.decode()  # whose it is


def test_mark_selected_read_then_unread(cast, login, notify_one):
    mine = notify_one(cast.ana)
    client = login(cast.ana)
    action = {"_selected_action": [str(mine.pk)], "index": 0}
    client.post(LIST, {**action, "action": "mark_selected_read"})
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert client.get(LIST, {"read": "no"}).context["cl"].result_count == 0
    client.post(LIST, {**action, "action": "mark_selected_unread"})
    mine.refresh_from_db()
    assert mine.read_at is None


def test_the_action_never_marks_another_users_rows(cast, login, notify_one):
    theirs = notify_one(cast.marcos)
    login(cast.ana).post(
        LIST,
        {"_selected_action": [str(theirs.pk)], "index": 0, "action": "mark_selected_read"},
    )
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_bell_shows_the_unread_count_on_every_admin_page(cast, login, notify_one):
    notify_one(cast.alice), notify_one(cast.alice)
    notify_one(cast.ana)  # not alice's
    page = login(cast.alice).get("/admin/").content.decode()
    assert 'id="notification-bell"' in page
    assert 'data-role="count"' in page
    bell = page.split('id="notification-bell"')[1].split("</button>")[0]
    assert ">2</span>" in bell
    assert "notifications/bell.js" in page
    contacts = login(cast.alice).get("/admin/contacts/contact/").content.decode()
    assert 'id="notification-bell"' in contacts


def test_the_bell_is_not_on_the_login_page_nor_for_staff(cast, client, login):
    assert 'id="notification-bell"' not in client.get("/admin/login/").content.decode()
    assert 'id="notification-bell"' not in login(cast.staff).get("/admin/").content.decode()


def test_the_sidebar_links_to_the_list(cast, login):
    assert LIST in login(cast.alice).get("/admin/").content.decode()
    assert Notification.objects.count() == 0
