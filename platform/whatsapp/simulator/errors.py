"""Evolution's error envelope (src/main.ts): every failure leaves as one of these."""

from http import HTTPStatus
from typing import Any

from starlette.responses import JSONResponse


class EvolutionError(Exception):
    """An error answered as ``{"status", "error", "response": {"message": ...}}``."""

    def __init__(self, status: int, message: Any, *, wrapped: bool = True):
        super().__init__(status, message)
        self.status = status
        self.message = message
        self.wrapped = wrapped  # False only for /chat/whatsappNumbers (no "response" level)

    def response(self) -> JSONResponse:
        body: dict[str, Any] = {"status": self.status, "error": HTTPStatus(self.status).phrase}
        if self.wrapped:
            body["response"] = {"message": self.message}
        else:
            body["message"] = self.message
        return JSONResponse(body, status_code=self.status)


def bad_request(*messages: Any) -> EvolutionError:
    """BadRequestException(x): the arguments become an array."""
    return EvolutionError(400, list(messages))


def invalid(messages: list[str]) -> EvolutionError:
    """Schema errors: an array inside the array."""
    return EvolutionError(400, [messages])


def unauthorized() -> EvolutionError:
    return EvolutionError(401, "Unauthorized")


def forbidden(*messages: Any) -> EvolutionError:
    return EvolutionError(403, list(messages))


def not_found(*messages: Any) -> EvolutionError:
    return EvolutionError(404, list(messages))


def server_error(message: Any) -> EvolutionError:
    """A non-HTTP error (TypeError, Baileys Boom): 500 with the text as a string."""
    return EvolutionError(500, message)


def unknown_instance(name: str) -> EvolutionError:
    return not_found(f'The "{name}" instance does not exist')
