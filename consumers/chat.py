"""chat.send: messages written to customers (see chat.sending)."""

from bus.handlers import gone_is_done, handles
from bus.payloads import ChatSend
from bus.queues import Queue
from chat import sending


@handles(Queue.CHAT_SEND)
@gone_is_done
def send(payload: ChatSend, context) -> None:
    sending.send_message(payload.tenant_id, payload.message_id)
