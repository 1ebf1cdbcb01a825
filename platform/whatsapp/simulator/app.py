"""The Starlette app: Evolution's routes, the control API, and Express's 404 for the rest."""

import contextlib

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Mount

from . import control, routes_chat, routes_instance, routes_message, routes_webhook
from .errors import not_found
from .state import SimulatorState, Switches


async def _unknown_route(request: Request, exc: HTTPException):
    # Express answers unknown paths and wrong methods alike: 404 "Cannot <METHOD> <path>".
    return not_found(f"Cannot {request.method} {request.url.path}").response()


def create_app(
    api_key: str, server_url: str = "http://127.0.0.1:8081", switches: Switches | None = None
) -> Starlette:
    state = SimulatorState(api_key=api_key, server_url=server_url, switches=switches)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        async with httpx.AsyncClient() as client:
            state.http = client
            yield
        state.reset()

    app = Starlette(
        routes=[
            *routes_instance.routes,
            *routes_webhook.routes,
            *routes_message.routes,
            *routes_chat.routes,
            Mount("/_simulator", routes=control.routes),
        ],
        exception_handlers={404: _unknown_route, 405: _unknown_route},
        lifespan=lifespan,
    )
    app.state.simulator = state
    return app
