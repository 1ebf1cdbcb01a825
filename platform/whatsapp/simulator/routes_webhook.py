"""/webhook/set and /webhook/find (§2.7)."""

from starlette.routing import Route

from .errors import server_error
from .routes_instance import webhook_row
from .routing import evolution
from .validation import string, validate
from .webhooks import EVENT_NAMES

SET_SCHEMA = {
    "type": "object",
    "properties": {
        "webhook": {
            "type": "object",
            "properties": {
                "enabled": {"type": "boolean"},
                "url": string(),
                "headers": {"type": "object"},
                "byEvents": {"type": "boolean"},
                "base64": {"type": "boolean"},
                "events": {"type": "array", "items": {"type": "string", "enum": EVENT_NAMES}},
            },
            "required": ["enabled", "url"],
        }
    },
    "required": ["webhook"],
}


@evolution(201)
async def set_webhook(state, request, body, instance):
    validate(body, SET_SCHEMA)
    webhook = body["webhook"]
    if webhook["enabled"] and "events" not in webhook:
        raise server_error("Cannot read properties of undefined (reading 'length')")
    instance.webhook = webhook_row(instance, webhook, enabled=webhook["enabled"])
    return instance.webhook


@evolution()
async def find_webhook(state, request, body, instance):
    return instance.webhook


routes = [
    Route("/webhook/set/{name}", set_webhook, methods=["POST"]),
    Route("/webhook/find/{name}", find_webhook, methods=["GET"]),
]
