from django.db import migrations

from alrea.schedules import every


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0011_reception_hours_and_welcome_menu"),
        ("django_q", "0018_task_success_index"),
    ]

    operations = [
        every(1, "Welcome menu reminders and closing", "chat.welcome.remind_and_close")
    ]
