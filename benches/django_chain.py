"""Generates a Django project with an N-revision migration chain (default 123) for
benches/django_chain.sh: one app `shop`, revisions alternating a nullable AddField on `Item`
and a CreateModel with a foreign key to it, models.py matching the final state, and two
harness configs: tool = "django" (the warm worker) and tool = "command" (manage.py per step).

    python3 benches/django_chain.py DIR [N]
"""
import pathlib
import shutil
import sys

REPO = pathlib.Path(__file__).resolve().parent.parent


def migration(i):
    if i == 1:
        deps, ops = "[]", (
            "migrations.CreateModel(name='Item', fields=[('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),"
            " ('name', models.CharField(max_length=100))])"
        )
    elif i % 2 == 0:
        deps = "[('shop', '%s')]" % name(i - 1)
        ops = "migrations.AddField(model_name='item', name='f%d', field=models.IntegerField(null=True))" % i
    else:
        deps = "[('shop', '%s')]" % name(i - 1)
        ops = (
            "migrations.CreateModel(name='Part%d', fields=[('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),"
            " ('qty', models.IntegerField(default=0)),"
            " ('item', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='shop.item'))])" % i
        )
    return (
        "import django.db.models.deletion\nfrom django.db import migrations, models\n\n\n"
        "class Migration(migrations.Migration):\n    dependencies = %s\n    operations = [%s]\n" % (deps, ops)
    )


def name(i):
    return "%04d_step" % i


def models_py(n):
    out = ["from django.db import models\n\n\nclass Item(models.Model):\n    name = models.CharField(max_length=100)\n"]
    out += ["    f%d = models.IntegerField(null=True)\n" % i for i in range(2, n + 1, 2)]
    for i in range(3, n + 1, 2):
        out.append(
            "\n\nclass Part%d(models.Model):\n    qty = models.IntegerField(default=0)\n"
            "    item = models.ForeignKey(Item, on_delete=models.CASCADE)\n" % i
        )
    return "".join(out)


COMMAND = """[project]
name = "Django chain (command templates)"
[migrations]
tool = "command"
list = "{python} manage.py showmigrations shop --plan"
upgrade = "{python} manage.py migrate {app} {name}"
downgrade = "{python} manage.py migrate {app} {name}"
stamp = "{python} manage.py migrate {app} {name} --fake"
version_table = "django_migrations"
version_query = "SELECT CONCAT(app, '.', name) FROM django_migrations WHERE app = 'shop' ORDER BY id"
[python]
requirements = "requirements.txt"
"""

WORKER = """[project]
name = "Django chain (worker)"
[migrations]
tool = "django"
[python]
requirements = "requirements.txt"
"""


def main():
    root = pathlib.Path(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 123
    example = REPO / "examples" / "django"
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(example / "manage.py", root / "manage.py")
    shutil.copy(example / "requirements.txt", root / "requirements.txt")
    shutil.copytree(example / "mhsite", root / "mhsite", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    settings = (root / "mhsite" / "settings.py").read_text()
    (root / "mhsite" / "settings.py").write_text(
        settings.replace('INSTALLED_APPS = ["accounts", "api"]', 'INSTALLED_APPS = ["shop"]')
    )
    mig = root / "shop" / "migrations"
    mig.mkdir(parents=True, exist_ok=True)
    (root / "shop" / "__init__.py").write_text("")
    (mig / "__init__.py").write_text("")
    (root / "shop" / "models.py").write_text(models_py(n))
    for i in range(1, n + 1):
        (mig / ("%s.py" % name(i))).write_text(migration(i))
    (root / "harness.command.toml").write_text(COMMAND)
    (root / "harness.toml").write_text(WORKER)


if __name__ == "__main__":
    main()
