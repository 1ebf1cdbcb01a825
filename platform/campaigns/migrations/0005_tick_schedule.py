from django.db import migrations

from alrea.schedules import every


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0004_deleted_contacts_keep_recipients"),
        ("django_q", "0018_task_success_index"),
    ]

    operations = [
        every(1, "Campaigns: start scheduled, refill, reconcile, resume", "campaigns.dispatch.tick")
    ]
