from rest_framework import serializers

from devices.models import Device
from devices.stock import MAX_BATCH

# A box takes up to 30 cameras; a report of more is refused.
MAX_CAMERAS_PER_DEVICE = 30


class LabelSerializer(serializers.Serializer):
    """What is printed on a box's label: its serial and its claim code."""

    serial = serializers.CharField(max_length=64)
    claim_code = serializers.CharField(max_length=64)


class EnrollSerializer(LabelSerializer):
    firmware_version = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")


class EnrolledSerializer(serializers.Serializer):
    device_token = serializers.CharField()
    serial = serializers.CharField()
    heartbeat_interval_s = serializers.IntegerField()


class CameraHealthSerializer(serializers.Serializer):
    """What the box sees of one local camera since its last heartbeat."""

    id = serializers.IntegerField(min_value=1, help_text="the hub's camera id")
    frames = serializers.IntegerField(min_value=0, max_value=2**53, required=False)
    bitrate_kbps = serializers.FloatField(min_value=0, max_value=10_000_000, required=False)
    errors = serializers.IntegerField(min_value=0, max_value=2**53, required=False)
    last_error = serializers.CharField(max_length=200, required=False, allow_blank=True)
    substream = serializers.BooleanField(
        required=False, help_text="whether the box has a substream of the camera to push when asked"
    )


class HeartbeatSerializer(serializers.Serializer):
    firmware_version = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    agent_version = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    cameras = CameraHealthSerializer(
        many=True,
        required=False,
        max_length=MAX_CAMERAS_PER_DEVICE,
        help_text="per-camera source health; omitted: the last report stands",
    )


class SubstreamTargetSerializer(serializers.Serializer):
    host = serializers.CharField()
    port = serializers.IntegerField()
    stream_id = serializers.CharField(help_text="the SRT streamid to present for the substream")


class PushTargetSerializer(serializers.Serializer):
    host = serializers.CharField(
        required=False,
        help_text="where to push the main stream; absent (with `port`): push only the substream",
    )
    port = serializers.IntegerField(required=False)
    passphrase = serializers.CharField(help_text="SRT AES-256 passphrase (pbkeylen=32)")
    sub = SubstreamTargetSerializer(
        required=False,
        help_text="where to push the camera's substream now (same passphrase); absent: do not push it",
    )


class CameraNameSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class DeviceCameraSerializer(CameraNameSerializer):
    stream_id = serializers.CharField(help_text="the SRT streamid to present")
    push = PushTargetSerializer(allow_null=True, help_text="where to push now; null: do not stream")
    refusal = serializers.CharField(help_text="why the camera may not stream now; empty when it may")


class HeartbeatAnswerSerializer(serializers.Serializer):
    device_token = serializers.CharField(
        required=False, help_text="only when the token was rotated: store it, the old one no longer works"
    )
    serial = serializers.CharField()
    state = serializers.CharField()
    heartbeat_interval_s = serializers.IntegerField()
    cameras = DeviceCameraSerializer(many=True)


class BatchSerializer(serializers.Serializer):
    model = serializers.CharField(max_length=64, required=False, default="rtcc-edge")
    serials = serializers.ListField(
        child=serializers.CharField(max_length=64), min_length=1, max_length=MAX_BATCH
    )


class StockedSerializer(serializers.Serializer):
    serial = serializers.CharField()
    claim_code = serializers.CharField(help_text="shown this once; only its keyed digest is stored")


class ClaimSerializer(LabelSerializer):
    """A resident types the label's serial and claim code into the portal."""


class ClaimedCameraSerializer(CameraNameSerializer):
    """One camera of a claimed box, as its new owner first sees it."""

    consent_level = serializers.CharField(help_text="`none` until the owner decides")


class ClaimedSerializer(serializers.Serializer):
    serial = serializers.CharField()
    state = serializers.CharField()
    cameras = ClaimedCameraSerializer(many=True)


class DeviceSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", default=None, read_only=True)
    delivery = serializers.CharField(
        read_only=True,
        help_text="how the box reached its owner: sold, subsidised, given; empty before hand-over",
    )
    token = serializers.SerializerMethodField()

    class Meta:
        model = Device
        fields = [
            "id",
            "serial",
            "model",
            "state",
            "state_changed_at",
            "delivery",
            "recipient",
            "owner",
            "last_heartbeat_at",
            "agent_version",
            "firmware_version",
            "camera_health",
            "token",
        ]
        read_only_fields = fields

    def get_token(self, device) -> str:
        if device.token_revoked_at:
            return "revoked"
        if device.token_hash is None:
            return "none"
        return "rotation_requested" if device.token_rotation_requested_at else "active"
