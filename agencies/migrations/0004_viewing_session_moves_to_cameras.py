# ViewingSession moves to cameras (cameras/migrations/0005): the table stays, only the state moves.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0003_audit_hash_chain"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ViewingSession")],
        ),
    ]
