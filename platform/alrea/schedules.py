"""django-q2 schedules that apps create in their migrations, one way."""

from django.db import migrations


def every(minutes: int, name: str, func: str) -> migrations.RunPython:
    """A migration operation: run ``func`` (a dotted path) every ``minutes``, as the schedule
    ``name``; reversing the migration deletes it. The migration needs
    ``("django_q", "0018_task_success_index")`` among its dependencies."""

    def create(apps, schema_editor):
        apps.get_model("django_q", "Schedule").objects.update_or_create(
            name=name,
            defaults={"func": func, "schedule_type": "I", "minutes": minutes, "repeats": -1},
        )

    def remove(apps, schema_editor):
        apps.get_model("django_q", "Schedule").objects.filter(name=name).delete()

    return migrations.RunPython(create, remove)
