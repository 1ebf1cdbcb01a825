from django.db import migrations

SCHEDULES = [
    # (name, function, minutes between runs)
    ("Settle webhook events waiting for their message", "whatsapp.inbound.settle_waiting", 1),
    ("Purge old webhook events", "whatsapp.inbound.purge_old_events", 24 * 60),
]


def create(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    for name, func, minutes in SCHEDULES:
        Schedule.objects.update_or_create(
            name=name,
            defaults={"func": func, "schedule_type": "I", "minutes": minutes, "repeats": -1},
        )


def remove(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.filter(name__in=[name for name, _func, _minutes in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("whatsapp", "0001_initial"),
        ("django_q", "0018_task_success_index"),
    ]

    operations = [migrations.RunPython(create, remove)]
