from django.db import migrations

from alrea.schedules import every


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0001_initial"),
        ("django_q", "0018_task_success_index"),
    ]

    operations = [
        every(60, "Purge old API idempotency keys", "api.services.purge_idempotency_keys")
    ]
