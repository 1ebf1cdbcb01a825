import io
from pathlib import Path

import pytest
from django.utils import translation

from contacts.importing import ImportOptions, guess_mapping, read_table, run_import

SAMPLES = Path(__file__).resolve().parents[3] / "fixtures" / "spreadsheets"


@pytest.fixture(autouse=True)
def english_messages():
    """Reasons and errors are asserted by their English source text (the default is pt-br)."""
    with translation.override("en"):
        yield


def table_of(content, name="contatos.csv"):
    """A Table from text (UTF-8), bytes or a sample's file name."""
    if isinstance(content, Path):
        return read_table(io.BytesIO(content.read_bytes()), content.name)
    data = content.encode() if isinstance(content, str) else content
    return read_table(io.BytesIO(data), name)


def do_import(tenant, content, name="contatos.csv", *, dry_run=False, mapping=None, **options):
    table = table_of(content, name)
    mapping = guess_mapping(table.header) if mapping is None else mapping
    return run_import(tenant, table, mapping, ImportOptions(**options), dry_run=dry_run)


@pytest.fixture
def importer(cast):
    """do_import for Acme unless told otherwise."""

    def run(content, name="contatos.csv", *, tenant=None, **kwargs):
        return do_import(tenant or cast.acme, content, name, **kwargs)

    return run
