"""POST /webhooks/evolution/[<event-suffix>] and /webhooks/evolution/k/<token>/[<event-suffix>].

The edge of the gateway: size, JSON and envelope checks, then "is this really the instance it
names?", then ``inbound.receive``. Nothing from a call that fails authentication is recorded.
Answers are quick and never 500 for a bad body: Evolution retries every status except 400, 401,
403, 404 and 422, so a 5xx here would only bring the same bad body back ten times.
"""

import hmac
import json
import logging

import jwt
from django.conf import settings
from django.db import IntegrityError
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from whatsapp import events, inbound
from whatsapp.senders import Sender, forget, sender_named
from whatsapp.webhook_config import SECRET_HEADER, url_token

logger = logging.getLogger(__name__)


def _error(status: int, reason: str) -> JsonResponse:
    return JsonResponse({"error": reason}, status=status)


def _jwt_valid(authorization: str, secret: str) -> bool:
    """Evolution's ``jwt_key`` option: an HS256 JWT {iat, exp, app, action} in Authorization."""
    scheme, _space, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    try:
        claims = jwt.decode(
            token, secret, algorithms=["HS256"], options={"require": ["exp", "iat"]}
        )
    except jwt.InvalidTokenError:
        return False
    return claims.get("app") == "evolution" and claims.get("action") == "webhook"


def authenticated(request, instance: Sender, token: str | None) -> bool:
    secret = instance.webhook_secret
    if token is not None:
        return hmac.compare_digest(token, url_token(instance))
    if header := request.headers.get(SECRET_HEADER):
        return hmac.compare_digest(header, secret)
    return _jwt_valid(request.headers.get("Authorization", ""), secret)


def _read_body(request) -> bytes | None:
    limit = settings.WEBHOOK_MAX_BODY_BYTES
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return None
    body = request.read(limit + 1)  # not request.body: that stops at Django's own smaller cap
    return None if len(body) > limit else body


@csrf_exempt
@require_POST
def evolution_webhook(request, token=None, suffix=None):
    raw = _read_body(request)
    if raw is None:
        return _error(413, f"body larger than {settings.WEBHOOK_MAX_BODY_BYTES} bytes")
    try:
        text = raw.decode()
        body = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _error(400, f"body is not JSON: {exc}")
    except RecursionError:
        return _error(400, "body is nested too deeply")
    name = body.get("instance") if isinstance(body, dict) else None
    sender = _authenticated_sender(request, name, token)
    if sender is None:
        logger.warning("webhook refused: not authenticated as instance %r", name)
        return _error(401, "not authenticated as the instance named in the body")
    try:
        envelope, event = events.parse(body)
    except events.MalformedEvent as exc:
        event_name = body.get("event") if isinstance(body.get("event"), str) else ""
        _keep(inbound.record_malformed, sender, name, event_name, text, str(exc))
        return _error(400, str(exc))
    received = _keep(inbound.receive, sender, name, envelope, event, text)
    if received is None:
        return _error(401, "not authenticated as the instance named in the body")
    return JsonResponse({"status": received.status, "id": received.event_id})


def _authenticated_sender(request, name, token) -> Sender | None:
    # An unknown instance and a wrong secret look alike from outside: both are 401.
    if not isinstance(name, str) or not name:
        return None
    sender = sender_named(name)
    if sender is not None and not authenticated(request, sender, token):
        sender = sender_named(name, fresh=True)  # the secret may have changed meanwhile
        if sender is not None and not authenticated(request, sender, token):
            return None
    return sender


def _keep(write, sender: Sender, name: str, *args):
    """Run a write of the raw log; None if the instance was deleted since it was cached."""
    try:
        return write(sender, *args)
    except IntegrityError:
        forget(name)
        return None
