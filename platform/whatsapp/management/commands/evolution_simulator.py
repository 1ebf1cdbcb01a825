"""Serve the Evolution API simulator (docs/evolution-simulator.md)."""

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand

from whatsapp.simulator import Switches, create_app


class Command(BaseCommand):
    help = "Run a fake Evolution API 2.3.7 server (in memory) for the demo and local work."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8081)
        parser.add_argument("--api-key", default=None, help="default: EVOLUTION_API_KEY")
        parser.add_argument(
            "--server-url", default=None, help="server_url in webhooks (default: http://host:port)"
        )
        parser.add_argument(
            "--connect-delay",
            type=float,
            default=5.0,
            help="seconds from QR to connected; negative = only by the control API",
        )
        parser.add_argument("--delay-scale", type=float, default=1.0)
        parser.add_argument("--ack-delay-ms", type=int, default=500)
        parser.add_argument("--latency-ms", type=int, default=0)
        parser.add_argument("--error-rate", type=float, default=0.0)
        parser.add_argument("--reply-probability", type=float, default=0.0)
        parser.add_argument("--duplicate-webhooks", action="store_true")
        parser.add_argument(
            "--serve-profile-pictures",
            action="store_true",
            help="profile-picture URLs served by the simulator instead of WhatsApp's CDN",
        )
        parser.add_argument("--wire-version", default="2.3.7", help="2.3.7 or legacy")

    def handle(self, *args, **options):
        switches = Switches()
        switches.update(
            {
                "connect_delay_seconds": (
                    None if options["connect_delay"] < 0 else options["connect_delay"]
                ),
                "delay_scale": options["delay_scale"],
                "ack_delay_ms": options["ack_delay_ms"],
                "latency_ms": options["latency_ms"],
                "error_rate": options["error_rate"],
                "reply_probability": options["reply_probability"],
                "duplicate_webhooks": options["duplicate_webhooks"],
                "serve_profile_pictures": options["serve_profile_pictures"],
                "version": options["wire_version"],
            }
        )
        host, port = options["host"], options["port"]
        app = create_app(
            options["api_key"] or settings.EVOLUTION_API_KEY,
            server_url=options["server_url"] or f"http://{host}:{port}",
            switches=switches,
        )
        self.stdout.write(f"Evolution API simulator on http://{host}:{port}/ (Ctrl+C to stop)")
        uvicorn.run(app, host=host, port=port, log_level="info")
