"""The import also works on the embedded default (SQLite), through its plain-ORM writer."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SERVICE_VARIABLES = ("DATABASE_URL", "REDIS_URL", "RABBITMQ_URL", "S3_BUCKET", "BUS_PREFIX")

IMPORT_TWICE = """
import io, json, sys
sys.path[:0] = ["platform", "."]
import django
django.setup()
from django.db import connection
from django.utils import translation
translation.activate("en")
from accounts.demo import seed_cast
from contacts.importing import ImportOptions, guess_mapping, read_table, run_import
from contacts.models import Contact, ContactEvent, ContactList, Tag

cast = seed_cast("x")
feira = ContactList.objects.create(tenant=cast.acme, name="Feira")


def run(name, dry_run=False):
    with open(f"fixtures/spreadsheets/{name}", "rb") as handle:
        table = read_table(handle, name)
    options = ImportOptions(tag_names=["Amostra"], contact_list_id=feira.pk)
    report = run_import(
        cast.acme, table, guess_mapping(table.header), options, dry_run=dry_run, by=cast.ana
    )
    return report.counts


seen = {"vendor": connection.vendor, "preview": run("contatos-exemplo.csv", dry_run=True)}
seen["after_preview"] = Contact.objects.count()
seen["first"] = run("contatos-exemplo.csv")
seen["again"] = run("contatos-exemplo.csv")
seen["errors"] = run("contatos-com-erros.csv")
seen["contacts"] = Contact.objects.count()
seen["events"] = ContactEvent.objects.filter(kind="imported").count()
seen["tags"] = dict(Tag.objects.filter(tenant=cast.acme).values_list("name", "contact_count"))
seen["list"] = ContactList.objects.get(pk=feira.pk).contact_count
maria = Contact.objects.get(phone="+5531988776655")
seen["maria"] = [maria.name, maria.custom_fields, str(maria.birth_date)]
print(json.dumps(seen))
"""


def test_the_samples_import_and_reimport_on_sqlite(tmp_path):
    environ = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    environ.update(DJANGO_SETTINGS_MODULE="alrea.settings", ALREA_VAR_DIR=str(tmp_path))

    def run(args):
        done = subprocess.run(
            [sys.executable, *args],
            cwd=ROOT,
            env=environ,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    run(["manage.py", "migrate", "--no-input"])
    seen = json.loads(run(["-c", IMPORT_TWICE]).strip().splitlines()[-1])
    assert seen["vendor"] == "sqlite"
    assert seen["preview"]["new"] == 6 and seen["after_preview"] == 0
    assert seen["first"]["new"] == 6
    assert seen["again"] == {
        "new": 0,
        "updated": 0,
        "unchanged": 6,
        "skipped": 0,
        "invalid": 0,
        "duplicate": 0,
    }
    assert seen["errors"]["new"] == 2 and seen["errors"]["invalid"] == 5
    assert (seen["contacts"], seen["events"]) == (8, 8)
    assert seen["tags"]["Amostra"] == 8 and seen["tags"]["cliente"] == 4
    assert seen["list"] == 8
    assert seen["maria"] == ["Maria da Conceição", {"plano": "bronze"}, "1978-12-25"]
