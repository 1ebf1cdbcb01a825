"""Our own API under /_simulator/ (global key): switches, scans, inbound traffic, inspection."""

import functools
import re

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import jids, lifecycle, media
from .routes_chat import PRESENCES
from .routing import is_global_key, json_body, state_of


class ControlError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def control(handler):
    @functools.wraps(handler)
    async def endpoint(request: Request):
        state = state_of(request)
        if not is_global_key(state, request):
            return JSONResponse({"error": "Unauthorized"}, status_code=401)
        try:
            return JSONResponse(await handler(state, request, await json_body(request)))
        except ControlError as error:
            return JSONResponse({"error": error.message}, status_code=error.status)
        except ValueError as error:
            return JSONResponse({"error": str(error)}, status_code=400)

    return endpoint


@control
async def config(state, request, body):
    if request.method == "POST":
        state.switches.update(body)
    return state.switches.as_dict()


@control
async def reset(state, request, body):
    state.reset()
    return {"reset": True}


@control
async def sent(state, request, body):
    name = request.query_params.get("instance")
    return [s["message"] for s in state.sent if name is None or s["instance"] == name]


@control
async def not_on_whatsapp(state, request, body):
    numbers = body.get("numbers")
    if not isinstance(numbers, list):
        raise ValueError("numbers must be a list")
    state.not_on_whatsapp = {re.sub(r"\D", "", str(n)) for n in numbers}
    return sorted(state.not_on_whatsapp)


@control
async def deliveries(state, request, body):
    return state.deliveries


def _instance(state, request):
    found = state.instances.get(request.path_params["name"])
    if found is None:
        raise ControlError(404, "no such instance")
    return found


def _connected(state, request):
    found = _instance(state, request)
    if found.status != "open":
        raise ControlError(409, "the instance is not connected")
    return found


@control
async def scan(state, request, body):
    instance = _instance(state, request)
    await lifecycle.scan(state, instance, body.get("number"), body.get("profile_name"))
    return {"instance": instance.name, "state": instance.status, "wuid": instance.owner_jid}


@control
async def disconnect(state, request, body):
    instance = _connected(state, request)
    await lifecycle.disconnect(state, instance, int(body.get("status_reason", 401)))
    return {"instance": instance.name, "state": instance.status}


@control
async def inbound(state, request, body):
    return await lifecycle.receive(state, _connected(state, request), body)


@control
async def delete_message(state, request, body):
    """The author deletes a message for everyone: messages.edited (REVOKE), messages.delete."""
    instance = _connected(state, request)
    stored = state.messages.get(body.get("id", ""))
    if stored is None or stored.instance != instance.name:
        raise ControlError(404, "no such message")
    key = stored.data["key"]
    raw_key = {k: key[k] for k in ("remoteJid", "fromMe", "id")}
    edited = {"key": raw_key, "type": "REVOKE"}
    await lifecycle.emit(state, instance, "messages.edited", edited)
    deleted = dict(key)
    if state.switches.version == "2.3.7":
        deleted["status"] = "DELETED"
    await lifecycle.emit(state, instance, "messages.delete", deleted)
    return deleted


@control
async def presence(state, request, body):
    instance = _connected(state, request)
    if body.get("presence") not in PRESENCES:
        raise ValueError(f"presence must be one of {', '.join(PRESENCES)}")
    jid = jids.create_jid(str(body.get("number", "")))
    data = {"id": jid, "presences": {jid: {"lastKnownPresence": body["presence"]}}}
    await lifecycle.emit(state, instance, "presence.update", data)
    return data


async def picture(request: Request):
    """A profile picture (``serve_profile_pictures``): open like WhatsApp's CDN, whose URLs are
    unguessable rather than authenticated."""
    if not state_of(request).switches.serve_profile_pictures:
        return JSONResponse({"error": "not found"}, status_code=404)
    return Response(media.sample("imageMessage"), media_type="image/jpeg")


routes = [
    Route("/pictures/{path:path}", picture, methods=["GET"]),
    Route("/instances/{name}/scan", scan, methods=["POST"]),
    Route("/instances/{name}/disconnect", disconnect, methods=["POST"]),
    Route("/instances/{name}/inbound", inbound, methods=["POST"]),
    Route("/instances/{name}/delete-message", delete_message, methods=["POST"]),
    Route("/instances/{name}/presence", presence, methods=["POST"]),
    Route("/config", config, methods=["GET", "POST"]),
    Route("/reset", reset, methods=["POST"]),
    Route("/sent", sent, methods=["GET"]),
    Route("/not-on-whatsapp", not_on_whatsapp, methods=["PUT"]),
    Route("/deliveries", deliveries, methods=["GET"]),
]
