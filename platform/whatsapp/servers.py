"""Which Evolution server a tenant or an instance talks to, and clients for it.

An instance stays on the server it was created on (``instance.server``); a tenant's new
instances go to its ServerAssignment; everyone else uses the server of the settings. Calls use
the server's global key: it works on every route (instance tokens only on their own instance's
routes, and never for ``/instance/create``), so one client serves a whole tenant.
"""

from dataclasses import dataclass, field

from django.conf import settings

from whatsapp.evolution import EvolutionClient
from whatsapp.models import EvolutionServer, ServerAssignment


@dataclass(frozen=True)
class Server:
    url: str
    api_key: str = field(repr=False)
    server: EvolutionServer | None = None  # None: the default server of the settings


def _of(server: EvolutionServer | None) -> Server:
    if server is None:
        return Server(settings.EVOLUTION_API_URL, settings.EVOLUTION_API_KEY)
    return Server(server.base_url, server.api_key, server)


def server_for_tenant(tenant) -> Server:
    assignment = ServerAssignment.objects.select_related("server").filter(tenant=tenant).first()
    return _of(assignment.server if assignment else None)


def server_for(instance) -> Server:
    if instance.server_id:
        return _of(instance.server)
    return server_for_tenant(instance.tenant_id)


def client_for_tenant(tenant, client_class=EvolutionClient, **options):
    """A client (``AsyncEvolutionClient`` with ``client_class``) for the tenant's server."""
    server = server_for_tenant(tenant)
    return client_class(server.url, server.api_key, **options)


def client_for(instance, client_class=EvolutionClient, **options):
    server = server_for(instance)
    return client_class(server.url, server.api_key, **options)
