"""A resident claims the box they bought or were given, by the serial and code on its label."""

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response

from devices.api.serializers import ClaimedSerializer, ClaimSerializer
from devices.api.views import LabelView
from devices.services import ClaimLimited, do_claim_device
from rtcc.schema import error_answer


class TooManyClaims(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "too_many_claims"


TOO_MANY_ATTEMPTS = error_answer("Too many wrong attempts; wait 15 minutes.")


class ClaimView(LabelView):
    """Claim a box: it and its cameras become the caller's, each camera waiting for their consent."""

    label_serializer = ClaimSerializer

    @extend_schema(request=ClaimSerializer, responses={200: ClaimedSerializer, 429: TOO_MANY_ATTEMPTS})
    def post(self, request):
        label = self.read_label(request)
        try:
            device = do_claim_device(request.user, label["serial"], label["claim_code"], request=request)
        except ClaimLimited as error:
            raise TooManyClaims(error.messages[0]) from None
        cameras = [
            {"id": camera.pk, "name": camera.name, "consent_level": camera.consent_level or "none"}
            for camera in device.cameras.filter(owner=request.user).with_consent().order_by("pk")
        ]
        return Response({"serial": device.serial, "state": device.state, "cameras": cameras})
