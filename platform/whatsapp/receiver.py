"""POST /webhooks/evolution/...: placeholder until the receiver lands."""

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST


@csrf_exempt
@require_POST
def evolution_webhook(request, token=None, suffix=None):
    return HttpResponse(status=503)
