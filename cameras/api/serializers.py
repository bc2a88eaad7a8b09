from rest_framework import serializers

from cameras.models import Camera
from cameras.sources import check_pull_url


class CameraSerializer(serializers.ModelSerializer):
    consent_level = serializers.SerializerMethodField()
    agency = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    distance_m = serializers.SerializerMethodField()

    class Meta:
        model = Camera
        fields = [
            "id",
            "uuid",
            "name",
            "description",
            "agency",
            "kind",
            "premises",
            "lat",
            "lon",
            "address",
            "status",
            "status_reason",
            "last_frame_at",
            "snapshot_version",
            "consent_level",
            "distance_m",
        ]
        read_only_fields = fields

    def get_consent_level(self, camera) -> str:
        if camera.kind == Camera.Kind.PUBLIC:
            return "live"
        return getattr(camera, "consent_level", None) or "none"

    def get_distance_m(self, camera) -> float | None:
        distance = getattr(camera, "distance_m", None)
        return round(distance, 1) if distance is not None else None


class PullCameraCreateSerializer(serializers.ModelSerializer):
    """An agency-owned camera the hub pulls from a URL only an agency admin may enter."""

    source_url = serializers.CharField(write_only=True, max_length=2000)

    class Meta:
        model = Camera
        fields = ["name", "description", "lat", "lon", "address", "source_url"]
        extra_kwargs = {"lat": {"required": True}, "lon": {"required": True}}

    def validate_source_url(self, value: str) -> str:
        return check_pull_url(value)


class NearQuerySerializer(serializers.Serializer):
    near = serializers.CharField(required=False)
    radius = serializers.FloatField(required=False, min_value=1, max_value=100_000, default=1000)

    def validate_near(self, value: str) -> tuple[float, float]:
        try:
            lat_text, lon_text = value.split(",")
            lat, lon = float(lat_text), float(lon_text)
        except ValueError:
            raise serializers.ValidationError(
                "Give near as <lat>,<lon>, for example near=41.88,-87.63."
            ) from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise serializers.ValidationError("Latitude is -90..90 and longitude -180..180.")
        return lat, lon
