"""Regenerate docs/img/admin-dashboard.png, the README's picture of the admin.

    .venv/bin/python -m tests.browser.screenshot [--output PATH] [--keep]

It runs the app the way `.ci/serve` does, on the embedded defaults (SQLite, no external
services) but in a throwaway directory so your own var/ is left alone: migrate, load the demo
cast (`seed_demo`), serve with daphne on a free port, then logs in through the real login form
as Ana (Acme's administrator) in Chromium, 1440x900, light theme, Portuguese, opens the
"Configurações" sidebar section and saves the screenshot.
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tests.browser.chromium import VIEWPORT, chromium_page, log_in

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "docs" / "img" / "admin-dashboard.png"
EMAIL = "ana@acme.test"
PASSWORD = "alrea-demo-2026"  # seed_demo's default (README)
# Variables that would move the app off the embedded defaults (docs/configuration.md).
SERVICE_VARIABLES = (
    "DJANGO_SETTINGS_MODULE",
    "ALREA_ENV",
    "DEBUG",
    "DATABASE_URL",
    "REDIS_URL",
    "RABBITMQ_URL",
    "S3_BUCKET",
    "Q2_BROKER",
    "ALLOWED_HOSTS",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, server: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"daphne exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"{url} did not answer within {timeout:.0f} s:\n{log.read_text()}")


def _app_env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    env.update(
        ALREA_VAR_DIR=str(var_dir),
        DJANGO_SETTINGS_MODULE="alrea.settings",
        PYTHONPATH=os.pathsep.join([str(ROOT / "platform"), str(ROOT)]),
        LOG_LEVEL="WARNING",
    )
    return env


def take(output: Path, var_dir: Path) -> None:
    env = _app_env(var_dir)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], env=env, cwd=ROOT, check=True)
    subprocess.run([*manage, "seed_demo"], env=env, cwd=ROOT, check=True, capture_output=True)

    port = _free_port()
    log = var_dir / "daphne.log"
    with log.open("w") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
             "alrea.asgi:application"],
            env=env, cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        base_url = f"http://127.0.0.1:{port}"
        _wait_until_up(f"{base_url}/admin/login/", server, log)
        with chromium_page(base_url, viewport=VIEWPORT) as page:
            log_in(page, EMAIL, PASSWORD)
            if not page.url.rstrip("/").endswith("/admin"):
                sys.exit(f"Logging in as {EMAIL} did not reach the dashboard: {page.url}")
            page.locator("#nav-sidebar-apps h2", has_text="Configurações").click()
            page.locator('#nav-sidebar-apps a[href="/admin/accounts/user/"]').wait_for()
            page.evaluate("document.fonts.ready")  # Inter and the icon font, before the shot
            # Let the chevron's rotation (a CSS transition) finish.
            page.wait_for_function("document.getAnimations().every(a => a.playState !== 'running')")
            page.mouse.move(VIEWPORT["width"] - 1, VIEWPORT["height"] - 1)  # no hover effects
            output.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(output))
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--keep", action="store_true", help="keep the temporary var/ directory")
    args = parser.parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="alrea-screenshot-"))
    try:
        take(args.output.resolve(), var_dir)
    finally:
        if args.keep:
            print(f"kept {var_dir}")
        else:
            shutil.rmtree(var_dir, ignore_errors=True)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
