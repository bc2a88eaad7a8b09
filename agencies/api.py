"""The audit trail through the API: a filtered list, and the export anyone can verify."""

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.views import APIView

from agencies.audit_query import audit_events, check_audit_reader, export_lines, filter_audit
from agencies.models import AccessEvent

AGENCY_PARAMETER = OpenApiParameter(
    "agency", OpenApiTypes.STR, description="superusers only: the agency's slug (none: the global chain)"
)
# The filters agencies.audit_query.filter_audit reads: name, type, what it matches.
FILTERS = {
    "since": (OpenApiTypes.DATETIME, "ISO 8601 date or date and time, inclusive"),
    "until": (OpenApiTypes.DATETIME, "exclusive; a bare date includes that day"),
    "camera": (OpenApiTypes.INT, "camera id"),
    "user": (OpenApiTypes.STR, "username of the actor"),
    "action": (OpenApiTypes.STR, "one or more actions, comma-separated"),
    "outcome": (OpenApiTypes.STR, "allowed, denied or error, comma-separated"),
    "case_number": (OpenApiTypes.STR, ""),
    "purpose": (OpenApiTypes.STR, "text the purpose contains"),
    "incident": (OpenApiTypes.INT, "incident id"),
}
FILTER_PARAMETERS = [
    *(OpenApiParameter(name, kind, description=text) for name, (kind, text) in FILTERS.items()),
    AGENCY_PARAMETER,
]


class AccessEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_name")

    class Meta:
        model = AccessEvent
        fields = [
            "id",
            "sequence",
            "at",
            "actor",
            "action",
            "outcome",
            "target_type",
            "target_id",
            "target_label",
            "purpose",
            "incident",
            "case_number",
            "source_ip",
            "detail",
            "previous_digest",
            "digest",
        ]


@extend_schema(parameters=FILTER_PARAMETERS)
class AuditListView(generics.ListAPIView):
    """Audit lines of the caller's agency, newest first (oversight and agency admins)."""

    serializer_class = AccessEventSerializer

    def get_queryset(self):
        agency = check_audit_reader(self.request.user, self.request.query_params.get("agency", ""))
        return filter_audit(audit_events(agency), self.request.query_params)


class AuditExportView(APIView):
    """The agency's whole hash chain as JSON Lines; check it with agencies/verify_export.py."""

    @extend_schema(
        parameters=[AGENCY_PARAMETER],
        responses={(200, "application/jsonl"): OpenApiResponse(OpenApiTypes.STR, description="JSON Lines")},
    )
    def get(self, request):
        agency = check_audit_reader(request.user, request.query_params.get("agency", ""))
        response = StreamingHttpResponse(export_lines(agency), content_type="application/jsonl")
        name = agency.slug if agency else "global"
        response["Content-Disposition"] = f'attachment; filename="audit-{name}.jsonl"'
        return response
