from django.db import migrations

from alrea.schedules import every


class Migration(migrations.Migration):
    dependencies = [
        ("whatsapp", "0001_initial"),
        ("django_q", "0018_task_success_index"),
    ]

    operations = [
        every(
            1, "Settle webhook events waiting for their message", "whatsapp.inbound.settle_waiting"
        ),
        every(24 * 60, "Purge old webhook events", "whatsapp.inbound.purge_old_events"),
    ]
