"""The agency's side of its boxes in the API: stock batches, the fleet list, token rotation and revocation.

Only agency admins (and the platform) reach these; each sees their own agency's boxes, and
another agency's box is not found.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.access import has_role, scope_to_agency
from agencies.models import Membership
from devices.api.serializers import BatchSerializer, DeviceSerializer, StockedSerializer
from devices.models import Device
from devices.stock import do_stock_devices
from devices.tokens import do_request_token_rotation, do_revoke_token


class IsAgencyAdmin(BasePermission):
    message = "Only an agency's admins manage its devices."

    def has_permission(self, request, view):
        user = request.user
        return bool(
            user and user.is_authenticated and (user.is_superuser or has_role(user, Membership.Role.ADMIN))
        )


class BatchView(APIView):
    """Add a batch of boxes to the agency's stock; each claim code is in this answer only."""

    permission_classes = [IsAgencyAdmin]

    @extend_schema(
        request=BatchSerializer,
        responses={
            201: StockedSerializer(many=True),
        },
    )
    def post(self, request):
        form = BatchSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        labels = do_stock_devices(
            request.user, form.validated_data["model"], form.validated_data["serials"], request=request
        )
        answer = [{"serial": label.serial, "claim_code": label.claim_code} for label in labels]
        response = Response(answer, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"
        return response


class DeviceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The agency's boxes with their state and last reported health."""

    serializer_class = DeviceSerializer
    permission_classes = [IsAgencyAdmin]

    def get_queryset(self):
        return scope_to_agency(Device.objects.select_related("owner"), self.request.user).order_by("serial")

    @extend_schema(request=None, responses={202: DeviceSerializer})
    @action(detail=True, methods=["post"], url_path="rotate-token")
    def rotate_token(self, request, pk=None):
        """The box gets a new token with its next heartbeat; the old one stops working then."""
        device = self.get_object()
        do_request_token_rotation(request.user, device, request=request)
        return Response(DeviceSerializer(device).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: DeviceSerializer})
    @action(detail=True, methods=["post"], url_path="revoke-token")
    def revoke_token(self, request, pk=None):
        """The box's token is refused from now on; it enrolls again only with a new claim code."""
        device = self.get_object()
        do_revoke_token(request.user, device, request=request)
        return Response(DeviceSerializer(device).data)
