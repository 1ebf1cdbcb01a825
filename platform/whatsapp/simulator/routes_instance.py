"""/ and /instance/*."""

from starlette.routing import Route

from .routing import evolution

VERSION = "2.3.7"


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


routes = [Route("/", welcome, methods=["GET"])]
