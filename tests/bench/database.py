"""The database benchmarks run in: the one tests.settings names, created when missing.

Call ``ensure_database()`` before ``django.setup()`` and ``migrate()`` after it; each benchmark
then works in tenants of its own and deletes them at the end.
"""

import sys

import psycopg
from django.conf import settings


def ensure_database() -> str:
    """Create the database if it does not exist yet; return the server's version."""
    database = settings.DATABASES["default"]
    with psycopg.connect(
        host=database["HOST"],
        port=database["PORT"] or 5432,
        user=database["USER"],
        password=database["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        exists = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database["NAME"],)
        ).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{database["NAME"]}"')
            print(f"[bench] created database {database['NAME']}", file=sys.stderr, flush=True)
        return admin.execute("SHOW server_version").fetchone()[0]


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
