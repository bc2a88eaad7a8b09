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
from rtcc.api import ClientRateThrottle, valid_input
from rtcc.schema import error_answer


class IsDevice(BasePermission):
    message = "This endpoint is for enrolled edge devices."

    def has_permission(self, request, view):
        return getattr(request, "device", None) is not None


class LabelView(APIView):
    """Takes the serial and claim code printed on a box, so it is throttled as sign-in is."""

    throttle_classes = [ClientRateThrottle]
    throttle_scope = "auth"
    label_serializer = EnrollSerializer

    def read_label(self, request) -> dict:
        return valid_input(self.label_serializer, request)


LABEL_REFUSED = error_answer("The serial number or the claim code is not right, or already used.")


class EnrollView(LabelView):
    """An edge device trades the serial and claim code on its label for a device token."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(request=EnrollSerializer, responses={201: EnrolledSerializer, 403: LABEL_REFUSED})
    def post(self, request):
        label = self.read_label(request)
        device, token = do_enroll_device(
            label["serial"],
            label["claim_code"],
            firmware_version=label["firmware_version"],
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
