"""/ and /instance/* (§1.5, §2.1-2.6)."""

import uuid

from starlette.routing import Route

from . import lifecycle
from .errors import bad_request, forbidden, not_found, unauthorized
from .routing import evolution, is_global_key
from .state import Instance, cuid, now_iso
from .validation import string, validate
from .webhooks import EVENT_NAMES, emit

VERSION = "2.3.7"
INTEGRATIONS = ("WHATSAPP-BAILEYS", "WHATSAPP-BUSINESS", "EVOLUTION")
SETTINGS = {
    "rejectCall": False,
    "msgCall": "",
    "groupsIgnore": False,
    "alwaysOnline": False,
    "readMessages": False,
    "readStatus": False,
    "syncFullHistory": False,
    "wavoipToken": "",
}
CREATE_SCHEMA = {
    "type": "object",
    "properties": {
        "instanceName": string(),
        "token": string(),
        "number": string(),
        "qrcode": {"type": "boolean"},
        "integration": string(),
    },
    "required": ["instanceName"],
}
SUCCESS = {"status": "SUCCESS", "error": False}


@evolution(instance=False)
async def welcome(state, request, body):
    return {
        "status": 200,
        "message": "Welcome to the Evolution API, it is working!",
        "version": VERSION,
        "clientName": "evolution_exchange",
        "manager": f"{state.server_url}/manager",
        "documentation": "https://doc.evolution-api.com",
        "whatsappWebVersion": "2.3000.1023204200",
    }


@evolution(201, instance=False)
async def create(state, request, body):
    name = body.get("instanceName")
    if isinstance(name, str) and name in state.instances:  # instanceLoggedGuard runs before auth
        raise forbidden(f'This name "{name}" is already in use.')
    if not is_global_key(state, request):
        raise unauthorized()
    validate(body, CREATE_SCHEMA)
    if body.get("integration") not in INTEGRATIONS:
        raise bad_request("Invalid integration")
    webhook = body.get("webhook")
    if isinstance(webhook, dict) and not isinstance(webhook.get("events"), list):
        raise bad_request("Cannot read properties of undefined (reading 'length')")
    instance = Instance(
        name=name,
        token=body.get("token") or str(uuid.uuid4()).upper(),
        integration=body["integration"],
        settings={k: body.get(k, default) for k, default in SETTINGS.items()},
        number=body.get("number") if body.get("qrcode") else None,
    )
    if isinstance(webhook, dict) and webhook.get("url"):
        instance.webhook = webhook_row(instance, webhook, enabled=True)
    state.instances[name] = instance
    data = {"instanceName": name, "instanceId": instance.instance_id}
    await emit(state, instance, "instance.create", data)
    answer = {
        "instance": {
            **data,
            "integration": instance.integration,
            "webhookWaBusiness": None,
            "accessTokenWaBusiness": "",
            "status": "close",
        },
        "hash": instance.token,
        "webhook": _webhook_summary(instance),
        "websocket": {},
        "rabbitmq": {},
        "nats": {},
        "sqs": {},
        "settings": instance.settings,
    }
    if body.get("qrcode") and instance.integration == "WHATSAPP-BAILEYS":
        answer["qrcode"] = await lifecycle.show_qr(state, instance)
        answer["instance"]["status"] = "connecting"
    return answer


def webhook_row(instance: Instance, webhook: dict, *, enabled: bool) -> dict:
    """The stored Webhook row: [] means every event when enabled, none when not."""
    now = now_iso()
    events = (webhook.get("events") or list(EVENT_NAMES)) if enabled else []
    return {
        "id": cuid(),
        "url": webhook["url"],
        "headers": webhook.get("headers") or {},
        "enabled": enabled,
        "events": events,
        "webhookByEvents": bool(webhook.get("byEvents", False)),
        "webhookBase64": bool(webhook.get("base64", False)),
        "createdAt": instance.webhook["createdAt"] if instance.webhook else now,
        "updatedAt": now,
        "instanceId": instance.instance_id,
    }


def _webhook_summary(instance: Instance) -> dict:
    if not instance.webhook:
        return {}
    row = instance.webhook
    return {
        "webhookUrl": row["url"],
        "webhookHeaders": row["headers"],
        "webhookByEvents": row["webhookByEvents"],
        "webhookBase64": row["webhookBase64"],
    }


def connection_state(instance: Instance) -> dict:
    return {"instance": {"instanceName": instance.name, "state": instance.status}}


@evolution()
async def connect(state, request, body, instance):
    if instance.status == "open":
        return connection_state(instance)
    if instance.status == "connecting" and instance.qr:
        return instance.qr
    return await lifecycle.show_qr(state, instance)


@evolution()
async def state_of_connection(state, request, body, instance):
    return connection_state(instance)


@evolution(instance=False)
async def fetch_instances(state, request, body):
    if is_global_key(state, request):
        visible = list(state.instances.values())
    else:
        visible = state.instance_by_token(request.headers.get("apikey", ""))
        if not visible:
            raise unauthorized()
    name = request.query_params.get("instanceName")
    if name is not None:
        if name not in state.instances:
            raise not_found(f'Instance "{name}" not found')
        visible = [i for i in visible if i.name == name]
    instance_id = request.query_params.get("instanceId")
    if instance_id is not None:
        visible = [i for i in visible if i.instance_id == instance_id]
    return [_row(state, i) for i in visible]


def _row(state, instance: Instance) -> dict:
    messages = sum(1 for m in state.messages.values() if m.instance == instance.name)
    return {
        "id": instance.instance_id,
        "name": instance.name,
        "connectionStatus": instance.status,
        "ownerJid": instance.owner_jid,
        "profileName": instance.profile_name,
        "profilePicUrl": instance.profile_pic_url,
        "integration": instance.integration,
        "number": instance.number,
        "businessId": None,
        "token": instance.token,
        "clientName": "evolution_exchange",
        "disconnectionReasonCode": instance.disconnection.get("disconnectionReasonCode"),
        "disconnectionObject": instance.disconnection.get("disconnectionObject"),
        "disconnectionAt": instance.disconnection.get("disconnectionAt"),
        "createdAt": instance.created_at,
        "updatedAt": instance.updated_at,
        "Chatwoot": None,
        "Proxy": None,
        "Rabbitmq": None,
        "Nats": None,
        "Sqs": None,
        "Websocket": None,
        "Setting": {
            "id": instance.instance_id.replace("-", "")[:25],
            **instance.settings,
            "createdAt": instance.created_at,
            "updatedAt": instance.created_at,
            "instanceId": instance.instance_id,
        },
        "_count": {
            "Message": messages,
            "Contact": len(instance.contacts),
            "Chat": len(instance.contacts),
        },
    }


@evolution()
async def logout(state, request, body, instance):
    if instance.status == "close":
        raise bad_request(f'The "{instance.name}" instance is not connected')
    await lifecycle.disconnect(state, instance, 401)
    return {**SUCCESS, "response": {"message": "Instance logged out"}}


@evolution()
async def delete(state, request, body, instance):
    if instance.status in ("open", "connecting"):
        await lifecycle.disconnect(state, instance, 401)
    data = {"instanceName": instance.name, "instanceId": instance.instance_id}
    await emit(state, instance, "instance.delete", data)
    await emit(state, instance, "remove.instance", None)
    if instance.connect_task:
        instance.connect_task.cancel()
    state.instances.pop(instance.name, None)
    for key_id in [k for k, m in state.messages.items() if m.instance == instance.name]:
        del state.messages[key_id]
    return {**SUCCESS, "response": {"message": "Instance deleted"}}


routes = [
    Route("/", welcome, methods=["GET"]),
    Route("/instance/create", create, methods=["POST"]),
    Route("/instance/connect/{name}", connect, methods=["GET"]),
    Route("/instance/connectionState/{name}", state_of_connection, methods=["GET"]),
    Route("/instance/fetchInstances", fetch_instances, methods=["GET"]),
    Route("/instance/logout/{name}", logout, methods=["DELETE"]),
    Route("/instance/delete/{name}", delete, methods=["DELETE"]),
]
