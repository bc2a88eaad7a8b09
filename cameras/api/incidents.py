from django.core.exceptions import PermissionDenied as NotAllowed
from django.core.exceptions import ValidationError as Refused
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from agencies.access import agency_of, membership_of, scope_to_agency
from agencies.incidents import do_close_incident, do_open_incident
from agencies.models import Incident, Membership
from agencies.permissions import AgencyRolePermission
from agencies.services import do_work_incident
from cameras.api.incident_serializers import (
    IncidentCreateSerializer,
    IncidentSerializer,
    IncidentUpdateSerializer,
)
from cameras.wall.incidents import docked_cameras


def work_action(name: str, change: str, description: str):
    """`POST /incidents/{id}/<name>/`: a dispatcher's `change` to the incident on the agency's walls."""

    def work(self, request, pk=None):
        return self._work(request, change)

    # DRF names the route and the schema's operation after the function.
    work.__name__ = name
    work = action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])(work)
    return extend_schema(request=None, responses={200: IncidentSerializer}, description=description)(work)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("state", OpenApiTypes.STR, enum=["open", "closed"], description="filter")
        ]
    )
)
class IncidentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Incidents of the caller's agency. CAD (or an admin or supervisor) opens and closes them."""

    serializer_class = IncidentSerializer
    permission_classes = [AgencyRolePermission]
    write_roles = {Membership.Role.CAD, Membership.Role.ADMIN, Membership.Role.SUPERVISOR}
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        incidents = scope_to_agency(
            Incident.objects.select_related("agency", "acknowledged_by", "dismissed_by"), self.request.user
        )
        state = self.request.query_params.get("state")
        if state == "open":
            incidents = incidents.filter(closed_at__isnull=True)
        elif state == "closed":
            incidents = incidents.filter(closed_at__isnull=False)
        return incidents

    def _with_cameras(self, incident: Incident) -> dict:
        cameras = docked_cameras(incident) if incident.is_open else []
        context = {**self.get_serializer_context(), "cameras": {incident.pk: _camera_list(cameras)}}
        return IncidentSerializer(incident, context=context).data

    def retrieve(self, request, *args, **kwargs):
        return Response(self._with_cameras(self.get_object()))

    @extend_schema(
        request=IncidentCreateSerializer, responses={200: IncidentSerializer, 201: IncidentSerializer}
    )
    def create(self, request, *args, **kwargs):
        agency = agency_of(request.user)
        if agency is None:
            raise PermissionDenied("Only a member of an agency can report its incidents.")
        form = IncidentCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        incident, created = do_open_incident(request.user, agency, **form.validated_data)
        return Response(
            self._with_cameras(incident), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @extend_schema(request=IncidentUpdateSerializer, responses={200: IncidentSerializer})
    def partial_update(self, request, *args, **kwargs):
        incident = self.get_object()
        form = IncidentUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        do_close_incident(request.user, incident, request=request)
        incident.refresh_from_db()
        return Response(self._with_cameras(incident))

    def _work(self, request, change: str) -> Response:
        incident = self.get_object()
        try:
            do_work_incident(request.user, incident, change, request=request)
        except NotAllowed as error:
            raise PermissionDenied(str(error)) from error
        except Refused as error:
            raise ValidationError({"detail": error.messages}) from error
        return Response(self._with_cameras(incident))

    acknowledge = work_action(
        "acknowledge",
        "acknowledged",
        "A dispatcher takes the incident in hand: its alert stops on every wall of the agency. "
        "Audited once; acknowledging again changes nothing. 400 for a closed incident.",
    )
    dismiss = work_action(
        "dismiss",
        "dismissed",
        "Take the incident off the agency's walls; CAD keeps it open and viewing opened for it "
        "goes on until CAD closes it. Audited once. 400 for a closed incident.",
    )

    def list(self, request, *args, **kwargs):
        if membership_of(request.user) is None and not request.user.is_superuser:
            raise PermissionDenied("Incidents are for members of an agency.")
        return super().list(request, *args, **kwargs)


def _camera_list(cameras) -> list[dict]:
    return [
        {
            "id": camera.pk,
            "name": camera.name,
            "status": camera.status,
            "distance_m": round(camera.distance_m, 1),
        }
        for camera in cameras
    ]
