from rest_framework import serializers

from agencies.models import Incident
from rtcc.validators import LATITUDE_VALIDATORS, LONGITUDE_VALIDATORS


class IncidentSerializer(serializers.ModelSerializer):
    cameras = serializers.SerializerMethodField()
    closed = serializers.BooleanField(source="is_closed", read_only=True)
    acknowledged_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="Who acknowledged it first."
    )
    dismissed_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="Who took it off the walls."
    )

    class Meta:
        model = Incident
        fields = [
            "id",
            "external_id",
            "kind",
            "priority",
            "lat",
            "lon",
            "address",
            "opened_at",
            "closed_at",
            "closed",
            "acknowledged_at",
            "acknowledged_by",
            "dismissed_at",
            "dismissed_by",
            "cameras",
        ]
        read_only_fields = fields

    def get_cameras(self, incident) -> list[dict]:
        """The docked cameras, given by the view for the incidents it just opened or read one by one."""
        return self.context.get("cameras", {}).get(incident.pk, [])


class IncidentCreateSerializer(serializers.Serializer):
    """What CAD sends: its own id for the call, what, where and how urgent."""

    external_id = serializers.CharField(max_length=64)
    kind = serializers.CharField(max_length=100)
    lat = serializers.FloatField(validators=LATITUDE_VALIDATORS)
    lon = serializers.FloatField(validators=LONGITUDE_VALIDATORS)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    priority = serializers.IntegerField(min_value=1, max_value=9, required=False, default=3)


class IncidentUpdateSerializer(serializers.Serializer):
    closed = serializers.BooleanField()

    def validate_closed(self, value: bool) -> bool:
        if not value:
            raise serializers.ValidationError("A closed incident cannot be reopened; CAD opens a new one.")
        return value
