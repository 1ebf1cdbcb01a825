"""contact.profile_pic: the picture Evolution points to for that contact, bounded and cached
for a week; the view serves only what is cached and asks for a refresh on a miss."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from bus.payloads import ContactProfilePic
from bus.queues import Queue
from chat.models import Conversation
from consumers import media as media_consumer
from contacts.models import Contact
from media import profile_pictures
from tests.media.conftest import context_for
from whatsapp.simulator import media as samples

pytestmark = pytest.mark.django_db
PHONE = "+5511987654321"


@pytest.fixture
def pictures_served(simulator):
    simulator.control.configure(serve_profile_pictures=True)


@pytest.fixture
def maria(line):
    contact = Contact.objects.create(tenant=line.tenant, phone=PHONE, name="Maria")
    Conversation.objects.create(
        tenant=line.tenant, instance=line, remote_jid=f"{PHONE[1:]}@s.whatsapp.net", contact=contact
    )
    return contact


def refresh(contact, line):
    payload = ContactProfilePic(
        tenant_id=contact.tenant_id, contact_id=contact.pk, instance_id=line.pk
    )
    media_consumer.profile_picture(payload, context_for(Queue.CONTACT_PROFILE_PIC))


def picture_url(contact):
    return reverse("media:contact_picture", args=[contact.pk])


def test_the_picture_is_fetched_and_cached_for_a_week(maria, line, pictures_served, simulator):
    refresh(maria, line)

    maria.refresh_from_db()
    picture = profile_pictures.cached(maria)
    assert picture.data == samples.sample("imageMessage")
    assert picture.content_type == "image/jpeg"
    maria.refresh_from_db()
    assert maria.profile_picture_url.startswith(f"{simulator.url}/_simulator/pictures/")
    redis = cache._cache.get_client()
    ttl = redis.ttl(cache.make_and_validate_key(f"media:contact-picture:{maria.pk}"))
    assert 7 * 24 * 3600 - 60 < ttl <= 7 * 24 * 3600


def test_the_view_serves_the_cached_picture(maria, line, pictures_served, login, cast):
    refresh(maria, line)

    response = login(cast.alice).get(picture_url(maria))

    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response.content == samples.sample("imageMessage")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_another_tenant_gets_404(maria, line, pictures_served, login, cast):
    refresh(maria, line)
    assert login(cast.gabriel).get(picture_url(maria)).status_code == 404


def test_a_miss_asks_for_a_refresh_once(maria, login, cast, django_capture_on_commit_callbacks):
    client = login(cast.alice)
    with django_capture_on_commit_callbacks() as callbacks:
        assert client.get(picture_url(maria)).status_code == 404
        assert client.get(picture_url(maria)).status_code == 404
    [send] = callbacks
    payload = send.args[0].payload
    assert (payload.queue, payload.contact_id) == (Queue.CONTACT_PROFILE_PIC, str(maria.pk))


def test_a_picture_over_the_limit_is_not_kept(maria, line, pictures_served, settings):
    settings.PROFILE_PICTURE_MAX_BYTES = 100  # the sample is 543 bytes
    refresh(maria, line)
    assert profile_pictures.cached(maria) is None
    assert profile_pictures.request_refresh(maria) is False  # known to have none, for a day


def test_a_contact_without_a_picture_is_not_asked_again_at_once(maria, line, simulator):
    simulator.control.set_not_on_whatsapp([PHONE[1:]])  # Evolution answers a null URL
    refresh(maria, line)
    assert profile_pictures.cached(maria) is None
    assert profile_pictures.request_refresh(maria) is False


def test_a_new_picture_reported_by_whatsapp_makes_the_cached_one_stale(
    maria, line, pictures_served, django_capture_on_commit_callbacks
):
    refresh(maria, line)
    maria.refresh_from_db()
    assert profile_pictures.cached(maria) is not None

    # contacts.update brings another URL (chat.ingest.update_contacts stores it)
    Contact.objects.filter(pk=maria.pk).update(profile_picture_url="https://pps.whatsapp.net/b.jpg")
    maria.refresh_from_db()

    assert profile_pictures.cached(maria) is None
    with django_capture_on_commit_callbacks() as callbacks:
        assert profile_pictures.request_refresh(maria) is True
    assert len(callbacks) == 1
    refresh(maria, line)  # the consumer fetches the current one from Evolution again
    maria.refresh_from_db()
    assert profile_pictures.cached(maria) is not None
