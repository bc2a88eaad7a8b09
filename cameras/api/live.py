"""Live video URLs: issued only with a purpose on record and the owner's live consent now."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from agencies.access import VIEWING_ROLES, cameras_visible_to
from agencies.viewing import do_close_viewing_sessions_of, do_open_viewing_session
from cameras.media.signing import hls_url_for
from rtcc.permissions import AgencyRolePermission


class LiveRequestSerializer(serializers.Serializer):
    purpose = serializers.CharField(max_length=300, allow_blank=True, required=False, default="")
    incident = serializers.IntegerField(required=False, allow_null=True, default=None)
    case_number = serializers.CharField(max_length=64, allow_blank=True, required=False, default="")


LiveResponse = inline_serializer(
    "LiveResponse",
    {
        "hls_url": serializers.CharField(),
        "expires_at": serializers.DateTimeField(),
        "session": serializers.IntegerField(allow_null=True),
    },
)


class CameraLiveViewSet(viewsets.GenericViewSet):
    """Open (POST) or close (DELETE) the caller's live view of one camera."""

    permission_classes = [AgencyRolePermission]
    write_roles = VIEWING_ROLES

    def get_queryset(self):
        return cameras_visible_to(self.request.user)

    @extend_schema(request=LiveRequestSerializer, responses={200: LiveResponse})
    @action(detail=True, methods=["post", "delete"], url_path="live")
    def live(self, request, pk=None):
        camera = self.get_object()
        if request.method == "DELETE":
            do_close_viewing_sessions_of(request.user, camera, request=request)
            return Response(status=status.HTTP_204_NO_CONTENT)
        form = LiveRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        session = do_open_viewing_session(
            request.user,
            camera,
            purpose=form.validated_data["purpose"],
            incident_id=form.validated_data["incident"],
            case_number=form.validated_data["case_number"],
            request=request,
        )
        url, expires_at = hls_url_for(camera, request.user, session)
        return Response(
            {
                "hls_url": url,
                "expires_at": expires_at.isoformat(),
                "session": session.pk if session is not None else None,
            }
        )
