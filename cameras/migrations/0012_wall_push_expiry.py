from datetime import timedelta

from django.db import migrations, models

import cameras.wall.models


def expire_after_a_shift(apps, schema_editor):
    # Pushes made before pushes expired hold for a shift (12 hours) from the moment they were made.
    WallPush = apps.get_model("cameras", "WallPush")
    for push in WallPush.objects.all().only("pk", "pushed_at"):
        WallPush.objects.filter(pk=push.pk).update(
            expires_at=push.pushed_at + timedelta(hours=12)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("cameras", "0011_relay_node_capacity"),
    ]

    operations = [
        migrations.AddField(
            model_name="wallpush",
            name="expires_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(expire_after_a_shift, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="wallpush",
            name="expires_at",
            field=models.DateTimeField(default=cameras.wall.models.default_push_expiry),
        ),
        migrations.AddConstraint(
            model_name="wallpush",
            constraint=models.CheckConstraint(
                condition=models.Q(("expires_at__gt", models.F("pushed_at"))),
                name="wallpush_expires_after_push",
            ),
        ),
    ]
