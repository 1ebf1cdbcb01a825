"""The conversation admin: tenant and role scoping, read-only pages, search, and a changelist
whose query count does not grow with its rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat.models import Conversation
from contacts import services as contact_services
from tests.admin.walk import admin_url, snapshot
from tests.chat.conftest import make_conversation, make_line


def _listed(client, **params):
    response = client.get(admin_url(Conversation, "changelist"), params)
    assert response.status_code == 200
    return {c.name for c in response.context["cl"].result_list}


def test_tenant_admin_sees_only_own_tenant_conversations(cast, login, conversations):
    assert _listed(login(cast.ana)) == {
        "Sales chat",
        "Support chat",
        "Handed to Alice",
        "Alice's own",
    }
    assert _listed(login(cast.gabriel)) == {"Globex chat"}


def test_other_tenant_conversation_answers_404(cast, login, conversations):
    client = login(cast.gabriel)
    for view in ("change", "history", "delete"):
        response = client.get(admin_url(Conversation, view, conversations["sales"]))
        assert response.status_code == 404, view


def test_agent_sees_her_departments_and_her_own_conversations(cast, login, conversations):
    client = login(cast.alice)
    assert _listed(client) == {"Sales chat", "Handed to Alice", "Alice's own"}
    response = client.get(admin_url(Conversation, "change", conversations["support"]))
    assert response.status_code == 404


def test_manager_sees_his_department_only(cast, login, conversations):
    assert _listed(login(cast.marcos)) == {"Sales chat"}


@pytest.mark.parametrize("persona", ["ana", "marcos", "alice", "staff"])
def test_nobody_edits_a_conversation(cast, login, conversations, persona):
    client = login(cast.users[persona])
    sales = conversations["sales"]
    before = snapshot(sales)
    page = client.get(admin_url(Conversation, "change", sales))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    response = client.post(
        admin_url(Conversation, "change", sales), {"name": "Renamed", "status": "closed"}
    )
    assert response.status_code == 403
    assert snapshot(sales) == before
    assert client.get(admin_url(Conversation, "add")).status_code == 403


def test_only_staff_may_delete(cast, login, conversations):
    sales = conversations["sales"]
    assert login(cast.ana).post(admin_url(Conversation, "delete", sales)).status_code == 403
    assert Conversation.objects.filter(pk=sales.pk).exists()
    response = login(cast.staff).post(admin_url(Conversation, "delete", sales), {"post": "yes"})
    assert response.status_code == 302
    assert not Conversation.objects.filter(pk=sales.pk).exists()


def test_filters_list_only_own_tenant_choices(cast, login, conversations):
    response = login(cast.ana).get(admin_url(Conversation, "changelist"))
    page = response.content.decode()
    assert "Acme-line" in page
    assert "Globex-line" not in page and str(conversations["globex"].instance_id) not in page


def test_search_by_contact_phone_name_and_chat_id(cast, login, conversations):
    contact = contact_services.create_contact(cast.acme, name="Beatriz", phone="(11) 98765-0000")
    line = conversations["sales"].instance
    make_conversation(line, "5511987650000", name="With contact", contact=contact)
    client = login(cast.ana)
    assert _listed(client, q="(11) 98765-0000") == {"With contact"}
    assert _listed(client, q="beatriz") == {"With contact"}
    assert _listed(client, q="support") == {"Support chat"}
    assert _listed(client, q="5511911110002@s.whatsapp.net") == {"Support chat"}
    assert _listed(login(cast.gabriel), q="Sales chat") == set()


def _changelist_queries(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(admin_url(Conversation, "changelist")).status_code == 200
    return len(queries)


def test_changelist_query_count_does_not_grow_with_rows(
    cast, login, conversations, django_assert_max_num_queries
):
    client = login(cast.ana)
    few = _changelist_queries(client)
    line = make_line(cast.acme, "Acme-second-line")
    contact = contact_services.create_contact(cast.acme, name="Carla", phone="(11) 98765-1111")
    for n in range(30):
        make_conversation(
            line,
            f"55119333{n:05d}",
            contact=contact if n % 2 else None,
            department=cast.departments[("acme", "Support")],
            assigned_to=cast.alice,
        )
    with django_assert_max_num_queries(few):
        assert client.get(admin_url(Conversation, "changelist")).status_code == 200
