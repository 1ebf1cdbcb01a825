"""``Idempotency-Key`` on POSTs that create or send: a retry gets the first answer again.

The first request with a key stores a row (tenant, key, fingerprint of method, path and body)
before it runs and its answer after. A retry with the same request replays that answer (with
``Idempotent-Replayed: true``); the same key with another request is refused with 422; a retry
while the first still runs gets 409. Answers of 5xx and raised errors are not kept, so the
client may simply try again. Keys are kept ``API_IDEMPOTENCY_TTL_HOURS``.
"""

import functools
import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from api.errors import Conflict, Unprocessable
from api.models import IdempotentRequest

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
# A request still "running" after this long died with its process: a retry may take over.
ABANDONED_AFTER = timedelta(minutes=5)


def idempotent(view_method):
    """Decorate a POST handler of an API view (``request.auth`` is the ApiKey)."""

    @functools.wraps(view_method)
    def handler(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view_method(view, request, *args, **kwargs)
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            raise exceptions.ValidationError(
                {HEADER: [_("Send 1 to 255 characters.")]}, code="invalid_idempotency_key"
            )
        tenant = request.auth.tenant
        record, replay = _claim(tenant, key, _fingerprint(request))
        if replay is not None:
            return replay
        try:
            response = view_method(view, request, *args, **kwargs)
        except BaseException:
            record.delete()
            raise
        if response.status_code >= 500:
            record.delete()
            return response
        record.status_code = response.status_code
        record.response = json.loads(json.dumps(response.data, cls=JSONEncoder))
        record.save(update_fields=["status_code", "response"])
        return response

    return handler


def _fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, cls=JSONEncoder, separators=(",", ":"))
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _claim(tenant, key: str, fingerprint: str):
    """(the row this request owns, None) or (the stored row, the response to replay)."""
    rows = IdempotentRequest.objects.for_tenant(tenant)
    for _attempt in range(2):
        try:
            with transaction.atomic():
                return rows.create(tenant=tenant, key=key, fingerprint=fingerprint), None
        except IntegrityError:
            pass
        stored = rows.filter(key=key).first()
        if stored is None or _expired(stored):
            if stored is not None:
                # Compare-and-swap on the id: only one retry removes the stale row.
                rows.filter(pk=stored.pk).delete()
            continue
        if stored.fingerprint != fingerprint:
            raise Unprocessable(
                _(
                    "This Idempotency-Key was used for a different request. Use a new key for "
                    "a new request."
                ),
                code="idempotency_key_reused",
            )
        if stored.status_code is None:
            raise Conflict(
                _("A request with this Idempotency-Key is still being processed; retry later."),
                code="idempotency_request_in_progress",
            )
        response = Response(stored.response, status=stored.status_code)
        response["Idempotent-Replayed"] = "true"
        return stored, response
    raise Conflict(
        _("A request with this Idempotency-Key is still being processed; retry later."),
        code="idempotency_request_in_progress",
    )


def _expired(stored: IdempotentRequest) -> bool:
    age = timezone.now() - stored.created_at
    if stored.status_code is None:
        return age > ABANDONED_AFTER
    return age > timedelta(hours=settings.API_IDEMPOTENCY_TTL_HOURS)
