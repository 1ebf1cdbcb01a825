from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0006_conversation_events"),
    ]

    operations = [
        migrations.AddField(
            model_name="attachment",
            name="storage",
            field=models.CharField(
                blank=True,
                choices=[("filesystem", "Server disk"), ("s3", "S3")],
                max_length=16,
                verbose_name="stored in",
            ),
        ),
    ]
