from django.db import migrations

from alrea.schedules import every


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0007_attachment_storage"),
        ("django_q", "0018_task_success_index"),
    ]

    operations = [every(1, "Settle chat messages left sending", "chat.sending.reconcile")]
