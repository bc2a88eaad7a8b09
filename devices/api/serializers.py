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


class DeviceCameraSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    stream_id = serializers.CharField()


class HeartbeatAnswerSerializer(serializers.Serializer):
    serial = serializers.CharField()
    state = serializers.CharField()
    heartbeat_interval_s = serializers.IntegerField()
    cameras = DeviceCameraSerializer(many=True)
