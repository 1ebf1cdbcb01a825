from django.db import migrations

NAME = "Download media left pending"


def create(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name=NAME,
        defaults={
            "func": "media.downloads.sweep",
            "schedule_type": "I",
            "minutes": 15,
            "repeats": -1,
        },
    )


def remove(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("django_q", "0018_task_success_index")]

    operations = [migrations.RunPython(create, remove)]
