"""Indexes only PostgreSQL has: trigram GIN for `icontains` search on name, email and phone, and
GIN on custom_fields for `custom_fields__<key>` filters. They are not in Contact.Meta.indexes,
because SQLite (the embedded default) rebuilds tables with every index the model declares and
cannot create these; on SQLite this migration does nothing."""

from django.db import migrations

INDEXES = {
    "contact_name_trgm": "USING gin (UPPER(name) gin_trgm_ops)",
    "contact_email_trgm": "USING gin (UPPER(email) gin_trgm_ops)",
    "contact_phone_trgm": "USING gin (phone gin_trgm_ops)",
    "contact_custom_fields": "USING gin (custom_fields jsonb_path_ops)",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, definition in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON contacts_contact {definition}"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("contacts", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
