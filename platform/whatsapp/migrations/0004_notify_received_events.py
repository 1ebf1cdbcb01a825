"""PostgreSQL wakes the process_webhooks worker when an event arrives (LISTEN/NOTIFY).

A trigger rather than a NOTIFY from the view: it costs the webhook request no extra round
trip, and the notification is only delivered if the insert commits. Other databases have no
trigger; the worker polls there.
"""

from django.db import migrations

CHANNEL = "whatsapp_webhook_events"

CREATE = f"""
CREATE OR REPLACE FUNCTION whatsapp_notify_webhook_event() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', '');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER whatsapp_webhook_event_received
AFTER INSERT ON whatsapp_webhookevent
FOR EACH STATEMENT EXECUTE FUNCTION whatsapp_notify_webhook_event();
"""

DROP = """
DROP TRIGGER IF EXISTS whatsapp_webhook_event_received ON whatsapp_webhookevent;
DROP FUNCTION IF EXISTS whatsapp_notify_webhook_event();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("whatsapp", "0003_worker_queue")]

    operations = [migrations.RunPython(create, drop)]
