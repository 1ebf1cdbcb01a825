"""POST /api/v1/messages/ with ``media``: a file by URL or base64, checked like the composer's,
queued on chat.send and sent through the right Evolution call (the simulator)."""

import base64
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chat.models import Attachment, Message
from tests.api.test_messages import MESSAGES, deliver, line  # noqa: F401 (fixture)
from tests.chat.test_composer_upload import OGG, PDF, png

pytestmark = pytest.mark.django_db
S, T = Message.Status, Message.Type
CUSTOMER = "(11) 98765-4321"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_S3 = None
    return settings.MEDIA_ROOT


@pytest.fixture
def files():
    """A local file server: /catalogo.pdf, /big.pdf (over a 1 KB limit), /gone (404), /moved
    (a redirect to the PDF)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            routes = {
                "/catalogo.pdf": (200, PDF, "application/pdf"),
                "/big.pdf": (200, PDF + b"0" * 4096, "application/pdf"),
                "/gone": (404, b"", "text/plain"),
            }
            if self.path == "/moved":
                self.send_response(302)
                self.send_header("location", "/catalogo.pdf")
                self.send_header("content-length", "0")
                self.end_headers()
                return
            status, body, content_type = routes[self.path]
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def send(client, **body):
    return client.post(MESSAGES, {"to": CUSTOMER, **body}, format="json", HTTP_ACCEPT_LANGUAGE="en")


def test_an_image_in_base64_is_queued_and_sent_with_its_caption(
    acme_api,
    cast,
    line,  # noqa: F811
    evolution_simulator,
):
    response = send(acme_api, media={"base64": b64(png()), "filename": "p.png"}, caption="Azul")
    assert response.status_code == 202, response.json()
    body = response.json()
    assert (body["type"], body["caption"], body["status"]) == ("image", "Azul", "pending")
    message = Message.objects.get(pk=body["id"])
    assert message.tenant == cast.acme and message.attachment.mimetype == "image/png"

    deliver(body["id"], cast.acme.pk)
    [sent] = evolution_simulator.control.sent(line.evolution_name)
    assert sent["message"]["imageMessage"]["caption"] == "Azul"
    assert Message.objects.get(pk=body["id"]).status == S.SENT


def test_a_document_by_url_keeps_its_name(acme_api, cast, line, evolution_simulator, files):  # noqa: F811
    response = send(acme_api, media={"url": f"{files}/catalogo.pdf"})
    assert response.status_code == 202, response.json()
    assert response.json()["type"] == "document"
    deliver(response.json()["id"], cast.acme.pk)
    [sent] = evolution_simulator.control.sent(line.evolution_name)
    document = sent["message"]["documentMessage"]
    assert (document["fileName"], document["mimetype"]) == ("catalogo.pdf", "application/pdf")


def test_audio_in_a_data_url_goes_as_a_voice_note(acme_api, cast, line, evolution_simulator):  # noqa: F811
    response = send(acme_api, media={"base64": f"data:audio/ogg;base64,{b64(OGG)}"})
    assert response.status_code == 202, response.json()
    assert Message.objects.get(pk=response.json()["id"]).attachment.is_voice_note
    deliver(response.json()["id"], cast.acme.pk)
    [sent] = evolution_simulator.control.sent(line.evolution_name)
    assert sent["message"]["audioMessage"]["ptt"] is True


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"media": {"base64": "not base64!"}}, "media", "base64"),
        ({"media": {"base64": b64(b"MZ\x90\x00"), "filename": "setup.exe"}}, "media", "cannot"),
        ({"media": {}}, "media", "either"),
        ({"media": {"base64": b64(PDF), "url": "https://x.example/a.pdf"}}, "media", "either"),
        ({"media": {"base64": b64(PDF)}, "text": "Oi"}, "non_field_errors", "either"),
        ({"text": "Oi", "caption": "x"}, "caption", "caption"),
        ({"media": {"base64": b64(OGG)}, "caption": "x"}, "media", "caption"),
        ({}, "non_field_errors", "either"),
    ],
)
def test_bad_media_requests_are_refused_and_store_nothing(
    acme_api,
    line,  # noqa: F811
    english,
    media_root,
    body,
    field,
    words,
):
    response = send(acme_api, **body)
    assert response.status_code == 400, response.json()
    errors = response.json()["errors"]
    assert field in errors, errors
    assert words in " ".join(errors[field]).lower()
    assert not Message.objects.exists() and not Attachment.objects.exists()
    assert not media_root.exists() or not any(p.is_file() for p in media_root.rglob("*"))


def test_files_over_the_limit_are_refused_by_url_and_base64(
    acme_api,
    line,  # noqa: F811
    settings,
    english,
    files,
):
    settings.CHAT_UPLOAD_MAX_BYTES = 1024
    for media in ({"url": f"{files}/big.pdf"}, {"base64": b64(b"%PDF" + b"0" * 4096)}):
        response = send(acme_api, media=media)
        assert response.status_code == 400
        assert "too large" in response.json()["errors"]["media"][0]
    assert not Message.objects.exists()


def test_urls_that_fail_redirect_or_point_inside_are_refused(
    acme_api,
    line,  # noqa: F811
    settings,
    english,
    files,
):
    for path, words in (("/gone", "HTTP 404"), ("/moved", "HTTP 302")):
        response = send(acme_api, media={"url": files + path})
        assert response.status_code == 400
        assert words in response.json()["errors"]["media"][0]
    settings.API_WEBHOOK_ALLOW_PRIVATE_URLS = False  # as in production
    response = send(acme_api, media={"url": f"{files}/catalogo.pdf"})
    assert response.status_code == 400
    assert "private or local address" in response.json()["errors"]["media"][0]
    assert not Message.objects.exists()


def test_media_needs_the_messages_write_scope(api, make_key, line):  # noqa: F811
    client = api(make_key(key_scopes=["messages:read"]))
    response = send(client, media={"base64": b64(PDF)})
    assert response.status_code == 403
    assert not Message.objects.exists()


def test_a_globex_key_cannot_send_a_file_into_an_acme_conversation(
    acme_api,
    api,
    make_key,
    globex_api,
    line,  # noqa: F811
):
    acme = send(acme_api, text="Olá")
    conversation = acme.json()["conversation"]
    globex = api(make_key(tenant=globex_api))
    response = globex.post(
        MESSAGES, {"conversation": conversation, "media": {"base64": b64(PDF)}}, format="json"
    )
    assert response.status_code == 400
    assert "conversation" in response.json()["errors"]
    assert Message.objects.count() == 1


def test_a_body_over_the_request_limit_gets_a_json_413(acme_api, line, english):  # noqa: F811
    """Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) bounds every request body; base64 over it
    is answered in the API's error format, pointing at URLs."""
    document = PDF + b"0" * (3 * 1024 * 1024)
    response = send(acme_api, media={"base64": b64(document), "filename": "catalogo.pdf"})
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    assert "by URL" in response.json()["message"]
    assert not Message.objects.exists()
