import math

from rest_framework import serializers

from cameras.consent import consent_level_of
from cameras.map import MAX_ZOOM, Viewport
from cameras.models import Camera
from cameras.sources import check_pull_url

# What names a camera, first in every camera representation, the owner's and the agency's.
CAMERA_NAMING_FIELDS = ["id", "uuid", "name", "description"]


class CameraSerializer(serializers.ModelSerializer):
    consent_level = serializers.SerializerMethodField()
    agency = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    agency_name = serializers.CharField(source="agency.name", read_only=True)
    distance_m = serializers.SerializerMethodField()

    class Meta:
        model = Camera
        fields = [
            *CAMERA_NAMING_FIELDS,
            "agency",
            "agency_name",
            "kind",
            "premises",
            "lat",
            "lon",
            "address",
            "status",
            "status_reason",
            "relay_mode",
            "substream",
            "last_frame_at",
            "snapshot_version",
            "consent_level",
            "distance_m",
        ]
        read_only_fields = fields

    def get_consent_level(self, camera) -> str:
        return consent_level_of(camera, getattr(camera, "consent_level", None))

    def get_distance_m(self, camera) -> float | None:
        distance = getattr(camera, "distance_m", None)
        return round(distance, 1) if distance is not None else None


class PullCameraCreateSerializer(serializers.ModelSerializer):
    """An agency-owned camera the hub pulls from a URL only an agency admin may enter."""

    source_url = serializers.CharField(write_only=True, max_length=2000)

    class Meta:
        model = Camera
        fields = ["name", "description", "lat", "lon", "address", "source_url", "relay_mode"]
        extra_kwargs = {"lat": {"required": True}, "lon": {"required": True}}

    def validate_source_url(self, value: str) -> str:
        return check_pull_url(value)


class NearQuerySerializer(serializers.Serializer):
    near = serializers.CharField(required=False)
    radius = serializers.FloatField(required=False, min_value=1, max_value=100_000, default=1000)
    around = serializers.CharField(required=False)
    q = serializers.CharField(required=False, max_length=100, default="")

    def validate_around(self, value: str) -> tuple[float, float]:
        return self.validate_near(value)

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


class MapQuerySerializer(serializers.Serializer):
    bbox = serializers.CharField()
    zoom = serializers.IntegerField(min_value=0, max_value=MAX_ZOOM)

    def validate_bbox(self, value: str) -> tuple[float, float, float, float]:
        try:
            south, west, north, east = (float(part) for part in value.split(","))
        except ValueError:
            raise serializers.ValidationError(
                "Give bbox as <south>,<west>,<north>,<east>, for example bbox=41.85,-87.70,41.91,-87.60."
            ) from None
        if not all(math.isfinite(part) for part in (south, west, north, east)):
            raise serializers.ValidationError("The bbox corners must be numbers.")
        if not (-90 <= south <= north <= 90):
            raise serializers.ValidationError("South and north are -90..90, south not above north.")
        if not (-180 <= west <= east <= 180):
            raise serializers.ValidationError(
                "West and east are -180..180, west not east of east (a box across the 180th meridian "
                "is asked as two boxes)."
            )
        return south, west, north, east

    def viewport(self) -> Viewport:
        return Viewport(*self.validated_data["bbox"], zoom=self.validated_data["zoom"])


class MapClusterSerializer(serializers.Serializer):
    lat = serializers.FloatField()
    lon = serializers.FloatField()
    count = serializers.IntegerField()


class MapSerializer(serializers.Serializer):
    """What a map viewport shows: cameras and clusters, at most 500 items in all."""

    total = serializers.IntegerField(help_text="Visible cameras in the box, clustered or not.")
    items = serializers.ListField(
        child=serializers.DictField(),
        help_text="Each a camera (the camera list's fields) or a cluster {lat, lon, count}.",
    )
