from rest_framework import serializers


class EnrollSerializer(serializers.Serializer):
    serial = serializers.CharField(max_length=64)
    claim_code = serializers.CharField(max_length=64)
    firmware_version = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")


class EnrolledSerializer(serializers.Serializer):
    device_token = serializers.CharField()
    serial = serializers.CharField()
    heartbeat_interval_s = serializers.IntegerField()


class HeartbeatSerializer(serializers.Serializer):
    firmware_version = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")


class PushTargetSerializer(serializers.Serializer):
    host = serializers.CharField()
    port = serializers.IntegerField()
    passphrase = serializers.CharField(help_text="SRT AES-256 passphrase (pbkeylen=32)")


class DeviceCameraSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    stream_id = serializers.CharField(help_text="the SRT streamid to present")
    push = PushTargetSerializer(allow_null=True, help_text="where to push now; null: do not stream")
    refusal = serializers.CharField(help_text="why the camera may not stream now; empty when it may")


class HeartbeatAnswerSerializer(serializers.Serializer):
    serial = serializers.CharField()
    state = serializers.CharField()
    heartbeat_interval_s = serializers.IntegerField()
    cameras = DeviceCameraSerializer(many=True)
