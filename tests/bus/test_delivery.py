"""The retry / dead-letter decision that both transports apply to one delivery."""

import logging
import uuid

import pytest

from accounts.models import Department
from bus.delivery import HANDLED, DeadReason, Verdict, deliver
from bus.errors import Gone
from bus.handlers import gone_is_done
from bus.payloads import Envelope, MediaDownload
from bus.queues import Queue
from tenancy.access import get_for_tenant_or_404
from tenancy.models import Tenant
from tenancy.services import suspend
from tests.bus.marks import committed_db
from tests.bus.recorder import Recorder

pytestmark = committed_db


@pytest.fixture
def envelope(chat_send):
    return Envelope.wrap(chat_send())


def test_a_handled_message_passes_payload_and_context(register, envelope):
    handler = register(Queue.CHAT_SEND, Recorder())

    outcome = deliver(envelope.encode(), Queue.CHAT_SEND, attempt=2, max_attempts=3)

    assert outcome == HANDLED
    [call] = handler.calls
    assert call.payload == envelope.payload
    assert (call.context.message_id, call.context.attempt) == (envelope.id, 2)
    assert call.context.published_at == envelope.published_at


def test_a_failure_before_the_last_attempt_is_retried(register, envelope):
    register(Queue.CHAT_SEND, Recorder(failures=1))

    outcome = deliver(envelope.encode(), Queue.CHAT_SEND, attempt=2, max_attempts=3)

    assert outcome.verdict is Verdict.RETRY
    assert outcome.error == "RuntimeError: failure number 1"


def test_a_failure_on_the_last_attempt_is_dead(register, envelope):
    register(Queue.CHAT_SEND, Recorder(failures=1))

    outcome = deliver(envelope.encode(), Queue.CHAT_SEND, attempt=3, max_attempts=3)

    assert (outcome.verdict, outcome.dead_reason) == (Verdict.DEAD, DeadReason.MAX_ATTEMPTS)
    assert outcome.error == "RuntimeError: failure number 1"


def test_a_malformed_body_is_dead_at_once_without_calling_the_handler(register):
    handler = register(Queue.CHAT_SEND, Recorder())

    outcome = deliver(b"{oops", Queue.CHAT_SEND, attempt=1, max_attempts=3)

    assert (outcome.verdict, outcome.dead_reason) == (Verdict.DEAD, DeadReason.MALFORMED)
    assert handler.calls == []


def test_a_message_of_another_queue_is_malformed(register, cast):
    handler = register(Queue.CHAT_SEND, Recorder())
    other = Envelope.wrap(MediaDownload(tenant_id=cast.acme.pk, message_id=uuid.uuid4()))

    outcome = deliver(other.encode(), Queue.CHAT_SEND, attempt=1, max_attempts=3)

    assert outcome.dead_reason is DeadReason.MALFORMED
    assert "media.download message arrived on chat.send" in outcome.error
    assert handler.calls == []


def test_a_queue_without_handler_is_dead_at_once(register, envelope):
    register(Queue.CHAT_SEND, None)
    outcome = deliver(envelope.encode(), Queue.CHAT_SEND, attempt=1, max_attempts=3)

    assert (outcome.verdict, outcome.dead_reason) == (Verdict.DEAD, DeadReason.NO_HANDLER)


def test_a_message_of_a_suspended_tenant_is_dead_and_kept_without_running(
    register, cast, envelope, caplog
):
    handler = register(Queue.CHAT_SEND, Recorder())
    suspend(cast.acme)  # after the message was published

    with caplog.at_level(logging.WARNING, logger="bus.delivery"):
        outcome = deliver(envelope.encode(), Queue.CHAT_SEND, attempt=1, max_attempts=3)

    assert (outcome.verdict, outcome.dead_reason) == (Verdict.DEAD, DeadReason.TENANT_SUSPENDED)
    assert handler.calls == []
    [record] = [record for record in caplog.records if record.name == "bus.delivery"]
    assert record.levelno == logging.WARNING
    assert record.tenant_id == str(cast.acme.pk)


def test_a_message_of_a_tenant_that_is_gone_is_dead_without_running(register, cast, chat_send):
    handler = register(Queue.CHAT_SEND, Recorder())
    payload = chat_send()
    Tenant.objects.filter(pk=cast.acme.pk).delete()

    outcome = deliver(Envelope.wrap(payload).encode(), Queue.CHAT_SEND, attempt=1, max_attempts=3)

    assert (outcome.verdict, outcome.dead_reason) == (Verdict.DEAD, DeadReason.TENANT_GONE)
    assert handler.calls == []


def test_a_handler_that_raises_gone_is_done_on_its_first_attempt(register, envelope, caplog):
    def handler(payload, context):
        raise Gone("the conversation was deleted")

    register(Queue.CHAT_SEND, handler)

    with caplog.at_level(logging.INFO, logger="bus.delivery"):
        outcome = deliver(envelope.encode(), Queue.CHAT_SEND, attempt=1, max_attempts=3)

    assert outcome == HANDLED
    [record] = [record for record in caplog.records if record.name == "bus.delivery"]
    assert record.levelno == logging.INFO
    assert "the conversation was deleted" in record.getMessage()


@pytest.mark.parametrize(
    "missing",
    [
        # tenancy.access answers a deleted row (or another tenant's) with Http404.
        lambda payload: get_for_tenant_or_404(Department, payload.tenant_id, pk=payload.message_id),
        lambda payload: Tenant.objects.get(pk=payload.message_id),
    ],
    ids=["http404", "does-not-exist"],
)
def test_gone_is_done_acknowledges_a_row_that_no_longer_exists(register, envelope, missing):
    calls = []

    @gone_is_done
    def handler(payload, context):
        calls.append(payload)
        missing(payload)

    register(Queue.CHAT_SEND, handler)

    outcome = deliver(envelope.encode(), Queue.CHAT_SEND, attempt=1, max_attempts=3)

    assert outcome == HANDLED
    assert calls == [envelope.payload]


def test_gone_is_done_lets_other_failures_be_retried(register, envelope):
    @gone_is_done
    def handler(payload, context):
        raise RuntimeError("the provider is down")

    register(Queue.CHAT_SEND, handler)

    outcome = deliver(envelope.encode(), Queue.CHAT_SEND, attempt=1, max_attempts=3)

    assert outcome.verdict is Verdict.RETRY
