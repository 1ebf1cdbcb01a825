"""A fake Evolution API 2.3.7 server: the same HTTP contract and webhooks, kept in memory.

Run it with ``python manage.py evolution_simulator``; drive it with ``SimulatorControl``.
It is an external server in disguise, so it imports nothing from Django.
"""

from .app import create_app
from .client import SimulatorControl
from .state import Switches

__all__ = ["SimulatorControl", "Switches", "create_app"]
