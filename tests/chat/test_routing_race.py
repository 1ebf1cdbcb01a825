"""Two agents claim the same conversation at once, each on their own database connection:
exactly one gets it."""

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from chat import routing
from chat.models import Conversation, ConversationEvent
from tests.chat.conftest import make_agent

pytestmark = pytest.mark.django_db(transaction=True)

HOLD_SECONDS = 0.5


def in_thread(target):
    """Run ``target`` on a thread with its own connection; return (thread, outcome dict)."""
    outcome = {}

    def run():
        try:
            outcome["result"] = target()
        except ValidationError as error:
            outcome["refused"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_the_second_claim_waits_for_the_first_and_is_refused(cast, conversations):
    sales_chat = conversations["sales"]
    bruno = make_agent(cast.acme, "bruno@acme.example", cast.departments[("acme", "Sales")])
    alice_claimed = threading.Event()

    def alice_claims_slowly():
        # Alice's claim has taken the row but not committed yet when Bruno presses the button.
        with transaction.atomic():
            claimed = routing.claim(sales_chat, by=cast.alice)
            alice_claimed.set()
            time.sleep(HOLD_SECONDS)
        return claimed

    alice_thread, alice = in_thread(alice_claims_slowly)
    assert alice_claimed.wait(10)
    started = time.monotonic()
    bruno_thread, bruno_outcome = in_thread(lambda: routing.claim(sales_chat, by=bruno))
    bruno_thread.join(10)
    waited = time.monotonic() - started
    alice_thread.join(10)

    assert alice["result"].assigned_to == cast.alice
    # Named, in whatever language the thread speaks (the one who got there first).
    assert str(cast.alice) in str(bruno_outcome["refused"].messages)
    assert waited >= HOLD_SECONDS * 0.8  # Bruno's claim waited on the row lock
    assert Conversation.objects.get(pk=sales_chat.pk).assigned_to == cast.alice
    assert ConversationEvent.objects.filter(kind=ConversationEvent.Kind.CLAIMED).count() == 1


def test_many_simultaneous_claims_have_exactly_one_winner(cast, conversations):
    sales = cast.departments[("acme", "Sales")]
    agents = [make_agent(cast.acme, f"agent{n}@acme.example", sales) for n in range(6)]
    start = threading.Barrier(len(agents))

    def claimer(agent):
        def claim():
            start.wait(10)
            return routing.claim(conversations["sales"], by=agent)

        return claim

    runs = [in_thread(claimer(agent)) for agent in agents]
    for thread, _outcome in runs:
        thread.join(20)

    winners = [outcome["result"].assigned_to for _thread, outcome in runs if "result" in outcome]
    refused = [outcome for _thread, outcome in runs if "refused" in outcome]
    assert len(winners) == 1 and len(refused) == len(agents) - 1
    assert Conversation.objects.get(pk=conversations["sales"].pk).assigned_to == winners[0]
    assert ConversationEvent.objects.filter(kind=ConversationEvent.Kind.CLAIMED).count() == 1
