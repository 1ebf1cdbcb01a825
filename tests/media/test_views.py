"""The media views: signed-in users see the files of the conversations they may see, in their
tenant only; the disk is streamed, S3 answers a short-lived signed redirect."""

import base64
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from accounts.models import Role
from accounts.roles import GROUP_NAMES
from chat.models import Attachment, Conversation
from tests.media.conftest import download
from whatsapp.simulator import media as samples

pytestmark = pytest.mark.django_db


def url(attachment, name="media:attachment"):
    return reverse(name, args=[attachment.pk])


@pytest.fixture
def in_support(cast, line, receive, media_root):
    """An image in a conversation of Acme's Support department (alice is in Sales only)."""
    attachment = download(receive(line, "image"))
    Conversation.objects.filter(messages__attachment=attachment).update(
        department=cast.departments[("acme", "Support")]
    )
    return attachment


@pytest.fixture
def in_sales(cast, line, receive, media_root):
    attachment = download(receive(line, "image", number="5511955554444"))
    Conversation.objects.filter(messages__attachment=attachment).update(
        department=cast.departments[("acme", "Sales")]
    )
    return attachment


def body_of(response) -> bytes:
    return b"".join(response.streaming_content)


def test_an_agent_gets_the_file_of_their_department(login, cast, in_sales):
    response = login(cast.alice).get(url(in_sales))

    assert response.status_code == 200
    assert body_of(response) == samples.sample("imageMessage")
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"].startswith("private")
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Disposition"].startswith("inline;")


def test_the_preview_is_served_too(login, cast, in_sales):
    response = login(cast.alice).get(url(in_sales, "media:thumbnail"))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert body_of(response).startswith(b"\xff\xd8\xff")


@pytest.mark.parametrize("who", ["alice", "marcos"])
def test_agents_and_managers_do_not_get_another_departments_file(login, cast, in_support, who):
    client = login(getattr(cast, who))
    assert client.get(url(in_support)).status_code == 404
    assert client.get(url(in_support, "media:thumbnail")).status_code == 404


def test_the_tenant_admin_gets_every_departments_file(login, cast, in_support, in_sales):
    client = login(cast.ana)
    assert client.get(url(in_support)).status_code == 200
    assert client.get(url(in_sales)).status_code == 200


def test_another_tenant_gets_404(login, cast, in_sales):
    client = login(cast.gabriel)
    assert client.get(url(in_sales)).status_code == 404
    assert client.get(url(in_sales, "media:thumbnail")).status_code == 404


def test_anonymous_visitors_are_sent_to_the_login(client, in_sales):
    response = client.get(url(in_sales))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_role_without_the_message_permission_is_refused(login, cast, in_sales):
    view_message = Permission.objects.get(codename="view_message", content_type__app_label="chat")
    Group.objects.get(name=GROUP_NAMES[Role.AGENT]).permissions.remove(view_message)
    assert login(cast.alice).get(url(in_sales)).status_code == 403


def test_a_pending_or_failed_attachment_has_no_file(login, cast, line, receive, media_root):
    pending = receive(line, "image")
    assert login(cast.ana).get(url(pending)).status_code == 404
    Attachment.objects.filter(pk=pending.pk).update(status=Attachment.Status.FAILED)
    assert login(cast.ana).get(url(pending)).status_code == 404


def test_a_file_that_is_not_shown_inline_is_a_download(login, cast, line, receive, media_root):
    page = base64.b64encode(b"<html><script>alert(1)</script></html>").decode()
    attachment = download(
        receive(line, "document", media_base64=page, mimetype="text/html", file_name="x.html")
    )

    response = login(cast.ana).get(url(attachment))

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_on_s3_the_view_redirects_to_a_short_lived_signed_url(
    login, cast, line, receive, s3, settings
):
    attachment = download(receive(line, "image"))

    response = login(cast.ana).get(url(attachment))

    assert response.status_code == 302 and response["Cache-Control"] == "no-store"
    signed = response["Location"]
    query = parse_qs(urlsplit(signed).query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]  # s3v4
    assert query["X-Amz-Expires"] == ["300"]
    fetched = httpx.get(signed)
    assert fetched.status_code == 200
    assert fetched.content == samples.sample("imageMessage")
    assert fetched.headers["content-type"] == "image/jpeg"
    assert login(cast.gabriel).get(url(attachment)).status_code == 404


def test_an_s3_url_without_its_signature_is_refused(login, cast, line, receive, s3):
    attachment = download(receive(line, "image"))
    signed = login(cast.ana).get(url(attachment))["Location"]
    unsigned = signed.split("?")[0]
    assert httpx.get(unsigned).status_code == 403


@pytest.mark.parametrize(
    ("asked", "start", "end"),
    [("bytes=0-9", 0, 9), ("bytes=500-", 500, None), ("bytes=-43", -43, None)],
)
def test_a_player_gets_the_range_it_asks_for(login, cast, in_sales, asked, start, end):
    whole = samples.sample("imageMessage")
    expected = whole[start : None if end is None else end + 1]

    response = login(cast.alice).get(url(in_sales), headers={"Range": asked})

    assert response.status_code == 206
    assert body_of(response) == expected
    first = start % len(whole)
    assert response["Content-Range"] == f"bytes {first}-{first + len(expected) - 1}/{len(whole)}"
    assert response["Content-Length"] == str(len(expected))


def test_a_range_past_the_end_is_refused(login, cast, in_sales):
    size = len(samples.sample("imageMessage"))
    response = login(cast.alice).get(url(in_sales), headers={"Range": f"bytes={size}-"})
    assert response.status_code == 416 and response["Content-Range"] == f"bytes */{size}"


def test_a_range_of_another_departments_file_is_still_404(login, cast, in_support):
    response = login(cast.alice).get(url(in_support), headers={"Range": "bytes=0-9"})
    assert response.status_code == 404
