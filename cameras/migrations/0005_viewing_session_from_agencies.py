# ViewingSession moves from agencies to cameras: agencies knows no camera. The table stays.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0004_viewing_session_moves_to_cameras"),
        ("cameras", "0004_relay_fleet"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ViewingSession",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("purpose", models.CharField(max_length=300)),
                        ("case_number", models.CharField(blank=True, max_length=64)),
                        ("started_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("expires_at", models.DateTimeField()),
                        ("ended_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "end_reason",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("viewer", "Closed by the viewer"),
                                    ("expired", "Expired"),
                                    ("incident_closed", "Incident closed"),
                                    ("consent_revoked", "Consent revoked"),
                                ],
                                max_length=16,
                            ),
                        ),
                        (
                            "agency",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="viewing_sessions",
                                to="agencies.agency",
                            ),
                        ),
                        (
                            "camera",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="viewing_sessions",
                                to="cameras.camera",
                            ),
                        ),
                        (
                            "incident",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="viewing_sessions",
                                to="agencies.incident",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="viewing_sessions",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "agencies_viewingsession",
                        "ordering": ["-started_at"],
                        "indexes": [
                            models.Index(fields=["camera", "ended_at"], name="agencies_vi_camera__b7f4e6_idx"),
                            models.Index(fields=["incident", "ended_at"], name="agencies_vi_inciden_cce38d_idx"),
                            models.Index(
                                fields=["user", "camera", "ended_at"], name="agencies_vi_user_id_3038e1_idx"
                            ),
                        ],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("case_number", ""), ("incident__isnull", True), _negated=True),
                                name="viewing_needs_incident_or_case",
                            )
                        ],
                    },
                ),
            ],
        ),
    ]
