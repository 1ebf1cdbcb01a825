"""The retry / dead-letter decision that both transports apply to one delivery."""

import uuid

from bus.delivery import HANDLED, DeadReason, Verdict, deliver
from bus.payloads import ChatSend, Envelope, MediaDownload
from bus.queues import Queue
from tests.bus.recorder import Recorder


def chat_send_body():
    payload = ChatSend(tenant_id=str(uuid.uuid4()), message_id=str(uuid.uuid4()))
    return Envelope.wrap(payload)


def test_a_handled_message_passes_payload_and_context(register):
    handler = register(Queue.CHAT_SEND, Recorder())
    envelope = chat_send_body()

    outcome = deliver(envelope.encode(), Queue.CHAT_SEND, attempt=2, max_attempts=3)

    assert outcome == HANDLED
    [call] = handler.calls
    assert call.payload == envelope.payload
    assert (call.context.message_id, call.context.attempt) == (envelope.id, 2)
    assert call.context.published_at == envelope.published_at


def test_a_failure_before_the_last_attempt_is_retried(register):
    register(Queue.CHAT_SEND, Recorder(failures=1))

    outcome = deliver(chat_send_body().encode(), Queue.CHAT_SEND, attempt=2, max_attempts=3)

    assert outcome.verdict is Verdict.RETRY
    assert outcome.error == "RuntimeError: failure number 1"


def test_a_failure_on_the_last_attempt_is_dead(register):
    register(Queue.CHAT_SEND, Recorder(failures=1))

    outcome = deliver(chat_send_body().encode(), Queue.CHAT_SEND, attempt=3, max_attempts=3)

    assert (outcome.verdict, outcome.dead_reason) == (Verdict.DEAD, DeadReason.MAX_ATTEMPTS)
    assert outcome.error == "RuntimeError: failure number 1"


def test_a_malformed_body_is_dead_at_once_without_calling_the_handler(register):
    handler = register(Queue.CHAT_SEND, Recorder())

    outcome = deliver(b"{oops", Queue.CHAT_SEND, attempt=1, max_attempts=3)

    assert (outcome.verdict, outcome.dead_reason) == (Verdict.DEAD, DeadReason.MALFORMED)
    assert handler.calls == []


def test_a_message_of_another_queue_is_malformed(register):
    handler = register(Queue.CHAT_SEND, Recorder())
    other = Envelope.wrap(MediaDownload(tenant_id=str(uuid.uuid4()), message_id=str(uuid.uuid4())))

    outcome = deliver(other.encode(), Queue.CHAT_SEND, attempt=1, max_attempts=3)

    assert outcome.dead_reason is DeadReason.MALFORMED
    assert "media.download message arrived on chat.send" in outcome.error
    assert handler.calls == []


def test_a_queue_without_handler_is_dead_at_once():
    outcome = deliver(chat_send_body().encode(), Queue.CHAT_SEND, attempt=1, max_attempts=3)

    assert (outcome.verdict, outcome.dead_reason) == (Verdict.DEAD, DeadReason.NO_HANDLER)
