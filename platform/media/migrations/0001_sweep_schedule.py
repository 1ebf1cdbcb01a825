from django.db import migrations

from alrea.schedules import every


class Migration(migrations.Migration):
    dependencies = [("django_q", "0018_task_success_index")]

    operations = [every(15, "Download media left pending", "media.downloads.sweep")]
