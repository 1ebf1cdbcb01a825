from django.db import migrations

PRODUCTS = [
    ("flow", "Flow", "Campaigns, live chat and contacts."),
    ("sense", "Sense", "AI sentiment of conversations."),
    ("api", "API", "Token API and signed webhooks for integrators."),
    ("notifications", "Notifications", "In-app and e-mail notifications."),
]


def create_products(apps, schema_editor):
    Product = apps.get_model("tenancy", "Product")
    for code, name, description in PRODUCTS:
        Product.objects.update_or_create(
            code=code, defaults={"name": name, "description": description}
        )


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0001_initial")]

    operations = [migrations.RunPython(create_products, migrations.RunPython.noop)]
