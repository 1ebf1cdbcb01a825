"""Our own API under /_simulator/ (global key): switches, scans, inbound traffic, inspection."""

import functools
import re

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

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


routes = [
    Route("/config", config, methods=["GET", "POST"]),
    Route("/reset", reset, methods=["POST"]),
    Route("/sent", sent, methods=["GET"]),
    Route("/not-on-whatsapp", not_on_whatsapp, methods=["PUT"]),
    Route("/deliveries", deliveries, methods=["GET"]),
]
