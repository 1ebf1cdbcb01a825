"""Each routing transition: what it changes, what it records, and who may not do it."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from chat import routing
from chat.models import Conversation, ConversationEvent
from tests.chat.conftest import make_agent

pytestmark = pytest.mark.django_db
S = Conversation.Status
Kind = ConversationEvent.Kind


@pytest.fixture
def sales(cast):
    return cast.departments[("acme", "Sales")]


@pytest.fixture
def support(cast):
    return cast.departments[("acme", "Support")]


def timeline(conversation):
    return list(
        conversation.events.values_list(
            "kind", "actor", "from_department", "to_department", "from_agent", "to_agent"
        )
    )


def test_an_agent_claims_an_unassigned_conversation_of_her_department(cast, conversations, sales):
    chat = routing.claim(conversations["sales"], by=cast.alice)
    assert (chat.status, chat.assigned_to) == (S.OPEN, cast.alice)
    chat.refresh_from_db()
    assert chat.assigned_to == cast.alice
    assert timeline(chat) == [
        (Kind.CLAIMED, cast.alice.pk, sales.pk, sales.pk, None, cast.alice.pk)
    ]


def test_an_agent_claims_from_the_inbox(cast, conversations):
    inbox = conversations["sales"]
    Conversation.objects.filter(pk=inbox.pk).update(department=None)
    assert routing.claim(inbox, by=cast.alice).assigned_to == cast.alice


def test_a_claimed_conversation_cannot_be_claimed_again(cast, conversations, sales, english):
    bruno = make_agent(cast.acme, "bruno@acme.example", sales)
    routing.claim(conversations["sales"], by=bruno)
    with pytest.raises(ValidationError, match="has already taken"):
        routing.claim(conversations["sales"], by=cast.alice)
    with pytest.raises(ValidationError, match="already yours"):
        routing.claim(conversations["sales"], by=bruno)
    assert ConversationEvent.objects.filter(kind=Kind.CLAIMED).count() == 1


def test_an_agent_cannot_claim_another_departments_conversation(cast, conversations):
    with pytest.raises(Http404):
        routing.claim(conversations["support"], by=cast.alice)
    assert Conversation.objects.get(pk=conversations["support"].pk).assigned_to is None


def test_another_company_cannot_claim(cast, conversations):
    with pytest.raises(Http404):
        routing.claim(conversations["sales"], by=cast.gabriel)


def test_a_manager_assigns_to_an_agent_of_the_department(cast, conversations, sales):
    chat = routing.assign(conversations["sales"], cast.alice, by=cast.marcos)
    assert (chat.status, chat.assigned_to) == (S.OPEN, cast.alice)
    assert timeline(chat) == [
        (Kind.ASSIGNED, cast.marcos.pk, sales.pk, sales.pk, None, cast.alice.pk)
    ]


def test_assigning_to_someone_outside_the_department_is_refused(cast, conversations, english):
    outsider = make_agent(cast.acme, "sofia@acme.example", cast.departments[("acme", "Support")])
    with pytest.raises(ValidationError, match="is not in Sales"):
        routing.assign(conversations["sales"], outsider, by=cast.ana)
    assert not ConversationEvent.objects.exists()


def test_assigning_to_an_inactive_person_is_refused(cast, conversations, sales, english):
    gone = make_agent(cast.acme, "gone@acme.example", sales)
    gone.is_active = False
    gone.save()
    with pytest.raises(ValidationError, match="is not active"):
        routing.assign(conversations["sales"], gone, by=cast.ana)


def test_assigning_to_another_companys_person_answers_404(cast, conversations):
    with pytest.raises(Http404):
        routing.assign(conversations["sales"], cast.gabriel, by=cast.ana)


def test_an_agent_may_not_assign(cast, conversations, sales):
    colleague = make_agent(cast.acme, "bruno@acme.example", sales)
    with pytest.raises(PermissionDenied):
        routing.assign(conversations["sales"], colleague, by=cast.alice)
    assert Conversation.objects.get(pk=conversations["sales"].pk).assigned_to is None


def test_transfer_to_a_department_waits_in_its_queue_and_keeps_the_reason(
    cast, conversations, sales, support
):
    chat = routing.claim(conversations["sales"], by=cast.alice)
    chat = routing.transfer(chat, department=support, reason=" Segunda via ", by=cast.alice)
    assert (chat.department, chat.assigned_to, chat.status) == (support, None, S.OPEN)
    event = chat.events.get(kind=Kind.TRANSFERRED)
    assert (event.from_department, event.to_department) == (sales, support)
    assert (event.from_agent, event.to_agent, event.reason) == (cast.alice, None, "Segunda via")


def test_transfer_to_an_agent_of_the_same_department(cast, conversations, sales):
    bruno = make_agent(cast.acme, "bruno@acme.example", sales)
    routing.claim(conversations["sales"], by=cast.alice)
    chat = routing.transfer(conversations["sales"], agent=bruno, reason="Férias", by=cast.alice)
    assert (chat.department, chat.assigned_to) == (sales, bruno)


def test_transfer_to_a_department_and_one_of_its_agents(cast, conversations, support):
    sofia = make_agent(cast.acme, "sofia@acme.example", support)
    chat = routing.transfer(conversations["sales"], department=support, agent=sofia, by=cast.ana)
    assert (chat.department, chat.assigned_to) == (support, sofia)


def test_transfer_refusals(cast, conversations, sales, support, english):
    chat = conversations["sales"]
    with pytest.raises(ValidationError, match="Choose a department or an agent"):
        routing.transfer(chat, by=cast.ana)
    with pytest.raises(ValidationError, match="already there"):
        routing.transfer(chat, department=sales, by=cast.ana)
    with pytest.raises(ValidationError, match="is not in Support"):
        routing.transfer(chat, department=support, agent=cast.alice, by=cast.ana)
    with pytest.raises(Http404):
        routing.transfer(chat, department=cast.departments[("globex", "Support")], by=cast.ana)
    assert Conversation.objects.get(pk=chat.pk).department == sales


def test_an_agent_cannot_transfer_or_close_a_colleagues_conversation(
    cast, conversations, sales, support
):
    bruno = make_agent(cast.acme, "bruno@acme.example", sales)
    routing.claim(conversations["sales"], by=bruno)
    with pytest.raises(PermissionDenied):
        routing.transfer(conversations["sales"], department=support, by=cast.alice)
    with pytest.raises(PermissionDenied):
        routing.close(conversations["sales"], by=cast.alice)
    # Her manager may.
    routing.transfer(conversations["sales"], department=support, by=cast.marcos)


def test_close_keeps_who_handled_it(cast, conversations, sales):
    routing.claim(conversations["sales"], by=cast.alice)
    chat = routing.close(conversations["sales"], by=cast.alice)
    chat.refresh_from_db()
    assert (chat.status, chat.department, chat.assigned_to) == (S.CLOSED, sales, cast.alice)
    assert chat.closed_at is not None
    assert [e.kind for e in chat.events.all()] == [Kind.CLAIMED, Kind.CLOSED]


def test_a_closed_conversation_refuses_everything_but_reopen(cast, conversations, english):
    chat = routing.close(conversations["sales"], by=cast.ana)
    for action in (
        lambda: routing.claim(chat, by=cast.alice),
        lambda: routing.assign(chat, cast.alice, by=cast.ana),
        lambda: routing.transfer(
            chat, department=cast.departments[("acme", "Support")], by=cast.ana
        ),
        lambda: routing.close(chat, by=cast.ana),
    ):
        with pytest.raises(ValidationError, match="is closed"):
            action()
    with pytest.raises(ValidationError, match="not closed"):
        routing.reopen(conversations["support"], by=cast.ana)


def test_reopen_goes_to_the_instance_default_department(cast, conversations, sales, support):
    line = conversations["support"].instance
    line.default_department = sales
    line.save()
    routing.claim(conversations["support"], by=cast.ana)
    chat = routing.close(conversations["support"], by=cast.ana)
    chat = routing.reopen(chat, by=cast.ana)
    assert (chat.status, chat.department, chat.assigned_to) == (S.OPEN, sales, None)
    assert chat.closed_at is None
    event = chat.events.get(kind=Kind.REOPENED)
    assert (event.actor, event.from_department, event.to_department) == (cast.ana, support, sales)
    assert (event.from_agent, event.to_agent) == (cast.ana, None)


def test_reopen_without_a_default_department_goes_to_the_inbox(cast, conversations):
    chat = routing.reopen(routing.close(conversations["sales"], by=cast.ana), by=cast.alice)
    assert (chat.status, chat.department, chat.assigned_to) == (S.PENDING, None, None)


def test_available_actions_follow_role_and_state(cast, conversations, sales):
    chat = conversations["sales"]
    assert routing.available_actions(cast.alice, chat) == {"claim", "transfer", "close"}
    assert routing.available_actions(cast.marcos, chat) == {
        "claim",
        "assign",
        "transfer",
        "close",
    }
    chat = routing.claim(chat, by=make_agent(cast.acme, "bruno@acme.example", sales))
    assert routing.available_actions(cast.alice, chat) == set()
    assert routing.available_actions(cast.ana, chat) == {"assign", "transfer", "close"}
    chat = routing.close(chat, by=cast.ana)
    assert routing.available_actions(cast.alice, chat) == {"reopen"}


def test_platform_staff_may_route_but_not_claim(cast, conversations):
    chat = conversations["sales"]
    assert routing.available_actions(cast.staff, chat) == {"assign", "transfer", "close"}
    with pytest.raises(PermissionDenied):
        routing.claim(chat, by=cast.staff)
    assert routing.assign(chat, cast.alice, by=cast.staff).assigned_to == cast.alice
