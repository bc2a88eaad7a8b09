"""Playback and export of hub recordings: open a playback (a viewing session), renew its link, export marks.

An agency camera's marks become a watermarked MP4 here; a private camera's become a footage
request to its owner through `POST /api/v1/footage-requests/`, whose rules are the owner's.
"""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from agencies.access import VIEWING_ROLES, scope_to_agency
from agencies.permissions import AgencyRolePermission
from cameras.access import cameras_visible_to
from cameras.api.live import LiveRequestSerializer, RefusalResponse
from cameras.footage.api import clip_download
from cameras.footage.clips import ClipError
from cameras.footage.models import RecordingExport
from cameras.footage.playback import (
    do_export_recording,
    do_open_playback,
    do_record_export_fetched,
    grant_of_playback_url,
    playback_url,
)
from cameras.footage.services import check_may_fetch_footage
from cameras.media.services import MediaRefused
from rtcc.api import case_window, valid_input
from rtcc.validators import IdField


class PlaybackRequestSerializer(LiveRequestSerializer):
    start = serializers.DateTimeField(required=False, allow_null=True, default=None)


class PlaybackRenewalSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=1000)
    start = serializers.DateTimeField(required=False, allow_null=True, default=None)


class ExportRequestSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    case_number = serializers.CharField(max_length=64, allow_blank=True, required=False, default="")
    reason = serializers.CharField(max_length=300, allow_blank=True, required=False, default="")
    incident = IdField(required=False, allow_null=True, default=None)


PlaybackResponse = inline_serializer(
    "PlaybackResponse",
    {
        "url": serializers.CharField(),
        "expires_at": serializers.DateTimeField(),
        "session": serializers.IntegerField(allow_null=True),
        "kept_since": serializers.DateTimeField(),
        "spans": serializers.ListField(child=serializers.DictField()),
    },
)


class RecordingExportSerializer(serializers.ModelSerializer):
    clip_url = serializers.SerializerMethodField()

    class Meta:
        model = RecordingExport
        fields = ["id", "camera", "start", "end", "case_number", "reason", "sha256", "size", "manifest"]
        fields += ["created_at", "clip_url"]
        read_only_fields = fields

    def get_clip_url(self, export) -> str:
        return f"/api/v1/recording-exports/{export.pk}/clip/"


class CameraPlaybackViewSet(viewsets.GenericViewSet):
    """Playback of one camera's hub recordings, and exports of an agency camera's marked window."""

    permission_classes = [AgencyRolePermission]
    write_roles = VIEWING_ROLES
    serializer_class = PlaybackRequestSerializer

    def get_queryset(self):
        return cameras_visible_to(self.request.user).select_related("agency")

    @extend_schema(request=PlaybackRequestSerializer, responses={200: PlaybackResponse, 403: RefusalResponse})
    @action(detail=True, methods=["post"], url_path="playback")
    def playback(self, request, pk=None):
        """Open a playback under a purpose: the timeline of what is kept, and a VOD playlist from `start`."""
        camera = self.get_object()
        data = valid_input(PlaybackRequestSerializer, request)
        opened = do_open_playback(
            request.user,
            camera,
            purpose=data["purpose"],
            incident_id=data["incident"],
            case_number=data["case_number"],
            request=request,
        )
        start = data["start"] or opened.kept_since
        url, expires_at = playback_url(opened.grant, max(start, opened.kept_since))
        return Response(
            {
                "url": url,
                "expires_at": expires_at.isoformat(),
                "session": opened.session_id,
                "kept_since": opened.kept_since.isoformat(),
                "spans": opened.spans,
            }
        )

    @extend_schema(
        request=PlaybackRenewalSerializer,
        responses={
            200: PlaybackResponse,
            400: OpenApiResponse(
                description="A malformed `url` or `start`, or not a playback link of this camera"
            ),
            403: RefusalResponse,
        },
    )
    @action(detail=True, methods=["post"], url_path="playback/renew")
    def renew(self, request, pk=None):
        """A fresh link for the caller's playback (same session, no new audit line), from `start` if given."""
        camera = self.get_object()
        data = valid_input(PlaybackRenewalSerializer, request)
        try:
            grant, linked_start = grant_of_playback_url(request.user, camera.pk, data["url"])
        except MediaRefused as error:
            return Response({"detail": error.reason}, status=error.status)
        url, expires_at = playback_url(grant, data["start"] or linked_start)
        return Response({"url": url, "expires_at": expires_at.isoformat(), "session": grant.session_id})

    @extend_schema(request=ExportRequestSerializer, responses={201: RecordingExportSerializer})
    @action(detail=True, methods=["post"], url_path="exports")
    def export(self, request, pk=None):
        """Export the marked window of an agency camera: a watermarked MP4, its manifest, an audit line."""
        camera = self.get_object()
        data = valid_input(ExportRequestSerializer, request)
        try:
            export = do_export_recording(
                request.user, camera, **case_window(data), incident_id=data["incident"], request=request
            )
        except ClipError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return Response(RecordingExportSerializer(export).data, status=status.HTTP_201_CREATED)


class RecordingExportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Exports of the caller's agency's own cameras, with their manifests; `clip/` sends the MP4."""

    serializer_class = RecordingExportSerializer
    permission_classes = [AgencyRolePermission]
    write_roles = VIEWING_ROLES

    def get_queryset(self):
        return scope_to_agency(RecordingExport.objects.all(), self.request.user)

    @extend_schema(responses={(200, "video/mp4"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="clip")
    def clip(self, request, pk=None):
        export = self.get_object()
        check_may_fetch_footage(request.user)
        if not export.absolute_path.is_file():
            raise Http404("No clip for this export.")
        do_record_export_fetched(request.user, export, request=request)
        return clip_download(export, f"{export.case_number}-camera{export.camera_id}-export{export.pk}.mp4")
