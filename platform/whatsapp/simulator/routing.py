"""The guard chain of every Evolution route: latency, 404 before 401, JSON body, error envelope."""

import asyncio
import functools
import json
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .errors import EvolutionError, unauthorized, unknown_instance
from .state import Instance, SimulatorState

Handler = Callable[..., Awaitable[Any]]


def state_of(request: Request) -> SimulatorState:
    return request.app.state.simulator


def is_global_key(state: SimulatorState, request: Request) -> bool:
    return secrets.compare_digest(request.headers.get("apikey", ""), state.api_key)


async def json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        return {}  # an unreadable body fails the schema like an empty one


def evolution(status: int = 200, *, instance: bool = True) -> Callable[[Handler], Handler]:
    """Wrap a handler ``(state, request, body[, instance])`` returning a JSON-able value."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            state = state_of(request)
            if state.switches.latency_ms:
                await asyncio.sleep(state.switches.latency_ms / 1000)
            try:
                args: list[Any] = [state, request, await json_body(request)]
                if instance:
                    args.append(_guard(state, request))
                result = await handler(*args)
            except EvolutionError as error:
                return error.response()
            if isinstance(result, Response):
                return result
            return JSONResponse(result, status_code=status)

        return endpoint

    return decorate


def _guard(state: SimulatorState, request: Request) -> Instance:
    """instanceExistsGuard then authGuard: an unknown name is 404 even without a key."""
    name = request.path_params["name"]
    found = state.instances.get(name)
    if found is None:
        raise unknown_instance(name)
    key = request.headers.get("apikey", "")
    if not (is_global_key(state, request) or (key and secrets.compare_digest(key, found.token))):
        raise unauthorized()
    return found
