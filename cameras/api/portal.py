"""The resident portal's API: an owner's own cameras, their consent and the footage requests they answer.

Every queryset is the caller's own rows (`owner=request.user`), so another resident's
camera or request is not found, and agency staff, who own no cameras, find nothing.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cameras import services
from cameras.api.serializers import CAMERA_NAMING_FIELDS
from cameras.consent import streams_through_device
from cameras.footage.api import REQUEST_FIELDS, FootageRequestViewSet
from cameras.footage.models import FootageRequest
from cameras.footage.services import do_answer_footage_request, do_expire_lapsed_requests
from cameras.models import CLOCK_TIME, MAX_SCHEDULE_WINDOWS, Camera, Consent


class ConsentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Consent
        fields = ["level", "schedule", "expires_at", "incident_radius_m", "set_at", "note"]
        read_only_fields = fields


CLOCK_ERRORS = {"invalid": "Give a time like 08:00."}


class ScheduleWindowSerializer(serializers.Serializer):
    """One weekly window; cameras.models.validate_schedule checks the whole schedule again."""

    days = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        min_length=1,
        max_length=7,
        help_text="0 (Monday) to 6 (Sunday)",
    )
    start = serializers.RegexField(
        CLOCK_TIME.pattern, error_messages=CLOCK_ERRORS, help_text="HH:MM, the camera's local time"
    )
    end = serializers.RegexField(
        CLOCK_TIME.pattern, error_messages=CLOCK_ERRORS, help_text="HH:MM; before start: over midnight"
    )


class ConsentInputSerializer(serializers.Serializer):
    level = serializers.ChoiceField(
        choices=[Consent.Level.REGISTRY, Consent.Level.ON_REQUEST, Consent.Level.LIVE]
    )
    schedule = ScheduleWindowSerializer(
        many=True,
        required=False,
        default=list,
        max_length=MAX_SCHEDULE_WINDOWS,
        help_text="Empty: at all times.",
    )
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    incident_radius_m = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=10, max_value=10_000
    )
    relay_mode = serializers.ChoiceField(
        choices=Camera.RelayMode.choices,
        required=False,
        allow_null=True,
        default=None,
        help_text="on_demand: video only while the agency watches; continuous: also recorded at the hub. "
        "Absent: unchanged.",
    )


class OwnCameraSerializer(serializers.ModelSerializer):
    agency = serializers.CharField(source="agency.name", read_only=True)
    consent = serializers.SerializerMethodField()
    consent_history = serializers.SerializerMethodField()
    can_stream_live = serializers.SerializerMethodField()

    class Meta:
        model = Camera
        fields = [
            *CAMERA_NAMING_FIELDS,
            "premises",
            "address",
            "lat",
            "lon",
            "agency",
            "status",
            "relay_mode",
            "can_stream_live",
            "consent",
            "consent_history",
        ]
        read_only_fields = fields

    def _history(self, camera) -> list:
        # Prefetched, newest first (Consent.Meta.ordering).
        return list(camera.consents.all())

    def get_consent(self, camera) -> dict | None:
        history = self._history(camera)
        return ConsentSerializer(history[0]).data if history else None

    def get_consent_history(self, camera) -> list[dict]:
        return ConsentSerializer(self._history(camera), many=True).data

    def get_can_stream_live(self, camera) -> bool:
        return streams_through_device(camera)


class OwnCameraViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The caller's own cameras; PUT or DELETE `consent/` to change or revoke what each shares."""

    serializer_class = OwnCameraSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Camera.objects.none()
        return (
            Camera.objects.filter(owner=self.request.user)
            .select_related("agency")
            .prefetch_related("consents")
            .order_by("name", "pk")
        )

    @extend_schema(request=ConsentInputSerializer, responses={200: ConsentSerializer})
    @action(detail=True, methods=["put", "delete"], url_path="consent")
    def consent(self, request, pk=None):
        camera = self.get_object()
        if request.method == "DELETE":
            consent = services.do_revoke_consent(request.user, camera, request=request)
            return Response(ConsentSerializer(consent).data)
        form = ConsentInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        consent = services.do_set_consent(request.user, camera, request=request, **form.validated_data)
        return Response(ConsentSerializer(consent).data)


class OwnFootageRequestSerializer(serializers.ModelSerializer):
    agency = serializers.CharField(source="agency.name", read_only=True)
    export = serializers.SerializerMethodField()

    class Meta:
        model = FootageRequest
        read_only_fields = fields = ["agency", *REQUEST_FIELDS, "export"]

    def get_export(self, footage_request) -> dict | None:
        """What the owner handed over: its hash, its size, and whether the agency has fetched it."""
        export = next(iter(footage_request.exports.all()), None)
        if export is None:
            return None
        return {"sha256": export.sha256, "size": export.size, "delivered": export.delivered}


class AnswerSerializer(serializers.Serializer):
    answer = serializers.ChoiceField(choices=["approve", "decline"])


class OwnFootageRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Footage requests for the caller's cameras; POST `answer/` {"answer": "approve"|"decline"}."""

    serializer_class = OwnFootageRequestSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return FootageRequest.objects.none()
        return (
            FootageRequest.objects.filter(camera__owner=self.request.user)
            .select_related("agency")
            .prefetch_related("exports")
        )

    def list(self, request, *args, **kwargs):
        do_expire_lapsed_requests()
        return super().list(request, *args, **kwargs)

    @extend_schema(request=AnswerSerializer, responses={200: OwnFootageRequestSerializer})
    @action(detail=True, methods=["post"], url_path="answer")
    def answer(self, request, pk=None):
        footage_request = self.get_object()
        form = AnswerSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        do_answer_footage_request(
            request.user, footage_request, approve=form.validated_data["answer"] == "approve", request=request
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=footage_request.pk)).data)


def register_portal_routes(router) -> None:
    """Add the portal's and the footage requests' routes to the camera API router."""
    router.register("portal/cameras", OwnCameraViewSet, basename="portal-camera")
    router.register("portal/footage-requests", OwnFootageRequestViewSet, basename="portal-footage-request")
    router.register("footage-requests", FootageRequestViewSet, basename="footage-request")
