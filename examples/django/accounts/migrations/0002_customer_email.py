from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [
        migrations.AddField(
            model_name="customer",
            name="email",
            field=models.CharField(default="", max_length=200),
        ),
    ]
