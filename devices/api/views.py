from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.services import client_ip
from devices.api.serializers import (
    EnrolledSerializer,
    EnrollSerializer,
    HeartbeatAnswerSerializer,
    HeartbeatSerializer,
)
from devices.authentication import DeviceTokenAuthentication
from devices.enrollment import HEARTBEAT_INTERVAL_S, device_cameras, do_enroll_device, do_record_heartbeat
from devices.tokens import rotate_if_due
from rtcc.api import ClientRateThrottle
from rtcc.schema import error_answer


class IsDevice(BasePermission):
    message = "This endpoint is for enrolled edge devices."

    def has_permission(self, request, view):
        return getattr(request, "device", None) is not None


class EnrollView(APIView):
    """An edge device trades the serial and claim code on its label for a device token."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [ClientRateThrottle]
    throttle_scope = "auth"

    @extend_schema(
        request=EnrollSerializer,
        responses={
            201: EnrolledSerializer,
            403: error_answer("The serial number or the claim code is not right, or already used."),
        },
    )
    def post(self, request):
        form = EnrollSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        device, token = do_enroll_device(
            form.validated_data["serial"],
            form.validated_data["claim_code"],
            firmware_version=form.validated_data["firmware_version"],
            ip=client_ip(request),
        )
        answer = {
            "device_token": token,
            "serial": device.serial,
            "heartbeat_interval_s": HEARTBEAT_INTERVAL_S,
        }
        return Response(answer, status=status.HTTP_201_CREATED)


class HeartbeatView(APIView):
    """An enrolled device says it is alive and learns which of its cameras to stream."""

    authentication_classes = [DeviceTokenAuthentication]
    permission_classes = [IsDevice]

    @extend_schema(
        request=HeartbeatSerializer,
        responses={
            200: HeartbeatAnswerSerializer,
        },
    )
    def post(self, request):
        form = HeartbeatSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        device = do_record_heartbeat(
            request.device,
            firmware_version=form.validated_data["firmware_version"],
            agent_version=form.validated_data["agent_version"],
            cameras=form.validated_data.get("cameras"),
            ip=client_ip(request),
        )
        answer = {}
        new_token = rotate_if_due(device, request.auth_token_hash)
        if new_token:
            answer["device_token"] = new_token
        answer |= {
            "serial": device.serial,
            "state": device.state,
            "heartbeat_interval_s": HEARTBEAT_INTERVAL_S,
            "cameras": device_cameras(device),
        }
        return Response(answer)
