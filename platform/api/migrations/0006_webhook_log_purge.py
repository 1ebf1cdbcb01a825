from django.db import migrations, models

NAME = "Purge old webhook deliveries"


def create(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name=NAME,
        defaults={
            "func": "api.outbound.purge_log",
            "schedule_type": "I",
            "minutes": 24 * 60,
            "repeats": -1,
        },
    )


def remove(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0005_webhook_retry_schedule"),
        ("django_q", "0018_task_success_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="webhookdelivery",
            index=models.Index(fields=["completed_at"], name="webhookdelivery_done"),
        ),
        migrations.RunPython(create, remove),
    ]
