import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    # The cross-app dependency: an API key belongs to an accounts.Customer.
    dependencies = [("accounts", "0001_initial")]
    operations = [
        migrations.CreateModel(
            name="ApiKey",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("token", models.CharField(max_length=64, unique=True)),
                ("customer", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="accounts.customer")),
            ],
        ),
    ]
