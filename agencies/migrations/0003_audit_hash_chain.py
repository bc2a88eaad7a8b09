from django.db import migrations, models


def chain_existing_events(apps, schema_editor):
    from agencies.models import AccessEvent as CurrentAccessEvent

    AccessEvent = apps.get_model("agencies", "AccessEvent")
    AuditChain = apps.get_model("agencies", "AuditChain")
    heads = {}
    for event in AccessEvent.objects.order_by("at", "pk"):
        key = f"agency-{event.agency_id}" if event.agency_id is not None else "global"
        length, head = heads.get(key, (0, "0" * 64))
        event.sequence = length + 1
        event.previous_digest = head
        event.digest = CurrentAccessEvent.compute_digest(event)
        AccessEvent.objects.filter(pk=event.pk).update(
            sequence=event.sequence, previous_digest=event.previous_digest, digest=event.digest
        )
        heads[key] = (event.sequence, event.digest)
    for key, (length, head) in heads.items():
        AuditChain.objects.create(key=key, length=length, head=head)


class Migration(migrations.Migration):
    dependencies = [("agencies", "0002_viewing_session")]

    operations = [
        migrations.CreateModel(
            name="AuditChain",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.CharField(max_length=32, unique=True)),
                ("length", models.PositiveBigIntegerField(default=0)),
                ("head", models.CharField(default="0000000000000000000000000000000000000000000000000000000000000000", max_length=64)),
            ],
            options={"ordering": ["key"]},
        ),
        migrations.AddField("accessevent", "sequence", models.PositiveBigIntegerField(editable=False, null=True)),
        migrations.AddField("accessevent", "previous_digest", models.CharField(editable=False, max_length=64, default="")),
        migrations.AddField("accessevent", "digest", models.CharField(editable=False, max_length=64, default="")),
        migrations.RunPython(chain_existing_events, migrations.RunPython.noop),
        migrations.AlterField("accessevent", "sequence", models.PositiveBigIntegerField(editable=False)),
        migrations.AlterField("accessevent", "previous_digest", models.CharField(editable=False, max_length=64)),
        migrations.AlterField("accessevent", "digest", models.CharField(editable=False, max_length=64)),
        migrations.AddConstraint(
            model_name="accessevent",
            constraint=models.UniqueConstraint(fields=("agency", "sequence"), name="audit_chain_sequence_unique"),
        ),
    ]
