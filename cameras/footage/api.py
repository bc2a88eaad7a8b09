"""The agency side of footage requests: ask for recordings, follow the answers, fetch approved clips.

An agency sees only its own requests and, on each, only the answer: never who owns the
camera or who else was asked.
"""

import re

from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from agencies.access import VIEWING_ROLES, scope_to_agency
from agencies.permissions import AgencyRolePermission
from cameras.footage.models import FootageRequest
from cameras.footage.services import (
    check_may_fetch_footage,
    do_create_footage_request,
    do_expire_lapsed_requests,
    do_mark_delivered,
)
from rtcc.api import case_window, valid_input
from rtcc.validators import IdField

REQUEST_FIELDS = [
    "id",
    "camera",
    "start",
    "end",
    "case_number",
    "reason",
    "status",
    "created_at",
    "answer_by",
    "answered_at",
    "note",
]


class FootageRequestInputSerializer(serializers.Serializer):
    cameras = serializers.ListField(child=IdField(), allow_empty=False, max_length=50)
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    case_number = serializers.CharField(max_length=64, allow_blank=True, required=False, default="")
    reason = serializers.CharField(max_length=500, allow_blank=True, required=False, default="")


class FootageRequestSerializer(serializers.ModelSerializer):
    export = serializers.SerializerMethodField()

    class Meta:
        model = FootageRequest
        fields = ["batch", *REQUEST_FIELDS, "export"]
        read_only_fields = fields

    def get_export(self, footage_request) -> dict | None:
        exports = list(footage_request.exports.all())
        if not exports or exports[0].deleted_at is not None:
            return None
        export = exports[0]
        return {
            "sha256": export.sha256,
            "size": export.size,
            "manifest": export.manifest,
            "delivered": export.delivered,
            "clip_url": f"/api/v1/footage-requests/{footage_request.pk}/clip/",
        }


class FootageRequestViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Footage requests of the caller's agency. POST asks one camera's owner per camera named."""

    serializer_class = FootageRequestSerializer
    permission_classes = [AgencyRolePermission]
    write_roles = VIEWING_ROLES

    def get_queryset(self):
        requests = FootageRequest.objects.prefetch_related("exports")
        return scope_to_agency(requests, self.request.user)

    def list(self, request, *args, **kwargs):
        do_expire_lapsed_requests()
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=FootageRequestInputSerializer, responses={201: FootageRequestSerializer(many=True)}
    )
    def create(self, request, *args, **kwargs):
        data = valid_input(FootageRequestInputSerializer, request)
        created = do_create_footage_request(
            request.user, camera_ids=data["cameras"], **case_window(data), request=request
        )
        requests = self.get_queryset().filter(pk__in=[row.pk for row in created]).order_by("pk")
        return Response(FootageRequestSerializer(requests, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "video/mp4"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="clip")
    def clip(self, request, pk=None):
        footage_request = self.get_object()
        check_may_fetch_footage(request.user)
        export = footage_request.exports.filter(deleted_at__isnull=True).first()
        if export is None or not export.absolute_path.is_file():
            raise Http404("No clip for this request.")
        do_mark_delivered(request.user, export, request=request)
        name = f"{footage_request.case_number}-camera{footage_request.camera_id}-{footage_request.pk}.mp4"
        return clip_download(export, name)


def clip_download(export, filename: str) -> FileResponse:
    """The export's MP4 as an attachment, its SHA-256 in a header to check it against the manifest."""
    response = FileResponse(
        open(export.absolute_path, "rb"),  # noqa: SIM115 -- FileResponse closes it
        content_type="video/mp4",
        as_attachment=True,
        # A case number is typed by a person: only safe characters reach the header.
        filename=re.sub(r"[^A-Za-z0-9._-]+", "_", filename),
    )
    response["X-Content-SHA256"] = export.sha256
    return response
