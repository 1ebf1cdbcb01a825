"""services.notify / notify_role / mark_read / mark_unread."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from notifications import services
from notifications.models import Notification

Kind = Notification.Kind


def test_notify_writes_one_row_per_distinct_user_in_one_insert(cast):
    with CaptureQueriesContext(connection) as queries:
        rows = services.notify(
            [cast.ana, cast.marcos, cast.ana], Kind.CAMPAIGN_FINISHED, "Black Friday", "ok", "/x/"
        )
    inserts = [q for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1
    stored = Notification.objects.order_by("user__email")
    assert [(n.user, n.tenant, n.kind, n.title, n.body, n.link, n.read_at) for n in stored] == [
        (cast.ana, cast.acme, "campaign_finished", "Black Friday", "ok", "/x/", None),
        (cast.marcos, cast.acme, "campaign_finished", "Black Friday", "ok", "/x/", None),
    ]
    assert len(rows) == 2


def test_staff_and_deactivated_users_get_nothing(cast):
    cast.alice.is_active = False
    cast.alice.save()
    assert services.notify([cast.staff, cast.alice], Kind.IMPORT_FINISHED, "done") == []
    assert not Notification.objects.exists()


def test_an_unknown_kind_is_refused_before_anything_is_written(cast):
    with pytest.raises(ValueError):
        services.notify(cast.ana, "birthday", "Happy birthday")
    assert not Notification.objects.exists()


def test_a_long_title_is_cut_to_the_column(cast):
    (row,) = services.notify(cast.ana, Kind.IMPORT_FINISHED, "x" * 400)
    row.refresh_from_db()
    assert len(row.title) == 255


def test_notify_role_reaches_the_admins_of_the_tenant_only(cast):
    services.notify_role(cast.acme, [Role.ADMIN], Kind.INSTANCE_DISCONNECTED, "Vendas dropped")
    assert set(Notification.objects.values_list("user__email", flat=True)) == {cast.ana.email}


def test_notify_role_with_a_department_reaches_its_members_of_that_role(cast, sales):
    support = cast.departments[("acme", "Support")]
    services.notify_role(cast.acme, [Role.AGENT], Kind.CONVERSATION_WAITING, "A", department=sales)
    services.notify_role(
        cast.acme, [Role.AGENT], Kind.CONVERSATION_WAITING, "B", department=support
    )
    assert list(Notification.objects.values_list("user__email", "title")) == [
        (cast.alice.email, "A")
    ]


def test_once_skips_whoever_still_has_the_same_unread_notice(cast):
    def drop():
        return services.notify_role(
            cast.acme, [Role.ADMIN], Kind.INSTANCE_DISCONNECTED, "down", link="/i/1/", once=True
        )

    assert len(drop()) == 1
    assert drop() == []  # ana has not read the first one
    services.mark_read(cast.ana)
    assert len(drop()) == 1


def test_mark_read_marks_the_given_ids_of_the_user_only(cast, notify_one):
    first, second = notify_one(cast.ana), notify_one(cast.ana)
    marcos_own = notify_one(cast.marcos)

    assert services.mark_read(cast.ana, [first.pk, marcos_own.pk]) == 1

    read = set(Notification.objects.filter(read_at__isnull=False).values_list("pk", flat=True))
    assert read == {first.pk}
    assert second.pk not in read and marcos_own.pk not in read


def test_mark_read_without_ids_marks_all_of_the_users_own(cast, notify_one):
    notify_one(cast.ana), notify_one(cast.ana)
    gabriel_own = notify_one(cast.gabriel)
    assert services.mark_read(cast.ana) == 2
    assert services.mark_read(cast.ana) == 0  # nothing left unread
    gabriel_own.refresh_from_db()
    assert gabriel_own.read_at is None


def test_mark_unread_undoes_mark_read(cast, notify_one):
    notification = notify_one(cast.ana)
    services.mark_read(cast.ana)
    assert services.mark_unread(cast.ana, [notification.pk]) == 1
    notification.refresh_from_db()
    assert notification.read_at is None
    assert services.mark_unread(cast.gabriel, [notification.pk]) == 0
