"""A resident claims the box they bought or were given, by the serial and code on its label."""

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from devices.api.serializers import ClaimedSerializer, ClaimSerializer
from devices.services import ClaimLimited, do_claim_device
from rtcc.api import ClientRateThrottle
from rtcc.schema import error_answer


class TooManyClaims(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "too_many_claims"


class ClaimView(APIView):
    """Claim a box: it and its cameras become the caller's, each camera waiting for their consent."""

    throttle_classes = [ClientRateThrottle]
    throttle_scope = "auth"

    @extend_schema(
        request=ClaimSerializer,
        responses={
            200: ClaimedSerializer,
            429: error_answer("Too many wrong attempts; wait 15 minutes."),
        },
    )
    def post(self, request):
        form = ClaimSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            device = do_claim_device(
                request.user,
                form.validated_data["serial"],
                form.validated_data["claim_code"],
                request=request,
            )
        except ClaimLimited as error:
            raise TooManyClaims(error.messages[0]) from None
        cameras = [
            {"id": camera.pk, "name": camera.name, "consent_level": camera.consent_level or "none"}
            for camera in device.cameras.filter(owner=request.user).with_consent().order_by("pk")
        ]
        return Response({"serial": device.serial, "state": device.state, "cameras": cameras})
