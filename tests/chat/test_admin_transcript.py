"""A conversation's page reads as a transcript: oldest first, the newest messages only, with
replies, reactions, attachments and delivery times."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chat.admin import TRANSCRIPT_LENGTH, message_list_url
from chat.models import Attachment, Conversation, Message
from tests.admin.walk import admin_url
from tests.chat.conftest import make_message


def _page(client, conversation):
    response = client.get(admin_url(Conversation, "change", conversation))
    assert response.status_code == 200
    return response.content.decode()


def test_transcript_shows_messages_oldest_first(cast, login, conversations):
    sales = conversations["sales"]
    # Stored out of order: the page sorts by WhatsApp's time.
    make_message(sales, 1, "third: see you")
    first = make_message(sales, 30, "first: hello")
    make_message(sales, 10, "second: hi", direction=Message.Direction.OUTBOUND)
    page = _page(login(cast.ana), sales)
    assert page.index("first: hello") < page.index("second: hi") < page.index("third: see you")
    assert first.get_direction_display() in page


def test_transcript_shows_replies_reactions_attachments_and_delivery(cast, login, conversations):
    sales = conversations["sales"]
    asked = make_message(sales, 20, "Is the blue one in stock?")
    sent = timezone.now() - timedelta(minutes=9)
    answer = make_message(
        sales,
        10,
        "Yes, we have it",
        direction=Message.Direction.OUTBOUND,
        quoted=asked,
        status=Message.Status.READ,
        sent_at=sent,
        read_at=sent + timedelta(minutes=1),
    )
    make_message(sales, 5, "👍", type=Message.Type.REACTION, reaction_to=answer)
    photo = make_message(sales, 2, caption="The receipt", type=Message.Type.IMAGE)
    Attachment.objects.create(
        tenant=cast.acme,
        message=photo,
        mimetype="image/jpeg",
        file_name="receipt.jpg",
        status=Attachment.Status.FAILED,
        error="media expired",
    )
    page = _page(login(cast.ana), sales)
    assert page.count("Is the blue one in stock?") == 2  # the message and its quote
    assert "👍" in page and page.count("👍") == 1  # under its message, not a message of its own
    assert "read at" in page and "sent at" in page
    assert "receipt.jpg" in page and "media expired" in page and "The receipt" in page


def test_transcript_keeps_the_newest_and_links_to_all_messages(cast, login, conversations):
    sales = conversations["sales"]
    now = timezone.now()
    Message.objects.bulk_create(
        Message(
            tenant=cast.acme,
            conversation=sales,
            direction=Message.Direction.INBOUND,
            body=f"msg-{n:04d}.",
            timestamp=now - timedelta(minutes=n),
        )
        for n in range(TRANSCRIPT_LENGTH + 5)
    )
    page = _page(login(cast.ana), sales)
    assert "msg-0000." in page and f"msg-{TRANSCRIPT_LENGTH - 1:04d}." in page
    assert f"msg-{TRANSCRIPT_LENGTH:04d}." not in page
    assert page.index(f"msg-{TRANSCRIPT_LENGTH - 1:04d}.") < page.index("msg-0000.")
    assert message_list_url(sales).replace("&", "&amp;") in page


def test_transcript_query_count_does_not_grow_with_messages(
    cast, login, conversations, django_assert_max_num_queries
):
    sales = conversations["sales"]
    client = login(cast.ana)
    make_message(sales, 1, "only one", quoted=make_message(sales, 2, "quoted"))
    with CaptureQueriesContext(connection) as few:
        _page(client, sales)
    for n in range(20):
        target = make_message(sales, 100 + n, f"m{n}", sent_by=cast.marcos)
        make_message(sales, 50 + n, "❤", type=Message.Type.REACTION, reaction_to=target)
    with django_assert_max_num_queries(len(few)):
        _page(client, sales)
