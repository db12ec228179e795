from django.db import migrations, models


def label_existing_keys(apps, schema_editor):
    """Data migration: every key issued before labels existed is labelled "legacy"."""
    ApiKey = apps.get_model("api", "ApiKey")
    ApiKey.objects.filter(label="").update(label="legacy")


class Migration(migrations.Migration):
    # Needs the customer e-mail of accounts.0002 as well as its own history.
    dependencies = [("api", "0001_initial"), ("accounts", "0002_customer_email")]
    operations = [
        migrations.AddField(
            model_name="apikey",
            name="label",
            field=models.CharField(default="", max_length=50),
        ),
        migrations.RunPython(label_existing_keys, migrations.RunPython.noop),
    ]
