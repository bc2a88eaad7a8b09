"""Live video URLs: issued only with a purpose on record and the owner's live consent now.

Opening or renewing a view is also demand: an on-demand camera is relayed while it is held.
A view may ask for the camera's substream only (`"stream": "sub"`, a wall's grid tile): then
only the substream is demanded, and an on-demand camera pushes and relays nothing else.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from agencies.access import VIEWING_ROLES
from agencies.permissions import AgencyRolePermission
from cameras.access import cameras_visible_to
from cameras.media.services import MediaRefused, check_live_url_renewal
from cameras.media.signing import hls_url_for, signed_hls_url
from cameras.relay.demand import add_demand, release_demand, viewer_holder
from cameras.relay.fragments import MAIN, STREAMS, SUB
from cameras.viewing.services import do_close_viewing_sessions_of, do_open_viewing_session
from rtcc.api import valid_input
from rtcc.validators import IdField


def stream_field():
    return serializers.ChoiceField(
        choices=STREAMS,
        required=False,
        default=MAIN,
        help_text=(
            "Which of the camera's streams this view holds: `main` (the default), or `sub` for a"
            " wall's grid tile that plays the camera's substream over the video socket. `sub` is"
            " granted only for a camera with a substream and no privacy mask; otherwise the main"
            " stream is held, as the answer's `stream` says. The link is the same either way."
        ),
    )


class LiveRequestSerializer(serializers.Serializer):
    purpose = serializers.CharField(max_length=300, allow_blank=True, required=False, default="")
    incident = IdField(required=False, allow_null=True, default=None)
    case_number = serializers.CharField(max_length=64, allow_blank=True, required=False, default="")
    stream = stream_field()


class LiveRenewalSerializer(serializers.Serializer):
    hls_url = serializers.CharField(max_length=1000)
    stream = stream_field()


def held_stream(camera, asked: str) -> str:
    """The stream a view of `camera` holds: the substream only where grid tiles may play one."""
    if asked == SUB and camera.offers_substream(masked=camera.privacy_masks.exists()):
        return SUB
    return MAIN


LiveResponse = inline_serializer(
    "LiveResponse",
    {
        "hls_url": serializers.CharField(),
        "expires_at": serializers.DateTimeField(),
        "session": serializers.IntegerField(allow_null=True),
        "stream": serializers.ChoiceField(choices=STREAMS, help_text="The stream this view holds."),
    },
)

RefusalResponse = inline_serializer("LiveRefusal", {"detail": serializers.CharField()})


def live_response(url: str, expires_at, session_id: int | None, stream: str) -> Response:
    return Response(
        {"hls_url": url, "expires_at": expires_at.isoformat(), "session": session_id, "stream": stream}
    )


class CameraLiveViewSet(viewsets.GenericViewSet):
    """Open (POST) or close (DELETE) the caller's live view of one camera; renew its link."""

    permission_classes = [AgencyRolePermission]
    write_roles = VIEWING_ROLES
    # What OPTIONS describes (DRF's metadata asks every viewset for one).
    serializer_class = LiveRequestSerializer

    def get_queryset(self):
        return cameras_visible_to(self.request.user)

    @extend_schema(methods=["POST"], request=LiveRequestSerializer, responses={200: LiveResponse})
    @extend_schema(methods=["DELETE"], request=None, responses={204: None})
    @action(detail=True, methods=["post", "delete"], url_path="live")
    def live(self, request, pk=None):
        camera = self.get_object()
        if request.method == "DELETE":
            # Closing a session releases its demand; an agency camera's is held per viewer.
            do_close_viewing_sessions_of(request.user, camera, request=request)
            release_demand(camera.pk, viewer_holder(request.user.pk, None), stream=None)
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
        session_id = session.pk if session is not None else None
        stream = held_stream(camera, form.validated_data["stream"])
        add_demand(camera.pk, viewer_holder(request.user.pk, session_id), stream=stream)
        return live_response(url, expires_at, session_id, stream)

    @extend_schema(
        request=LiveRenewalSerializer,
        responses={
            200: LiveResponse,
            400: OpenApiResponse(description="No `hls_url`, or not a live link of this camera"),
            403: RefusalResponse,
            404: RefusalResponse,
        },
    )
    @action(detail=True, methods=["post"], url_path="live/renew")
    def renew(self, request, pk=None):
        """A fresh link for the live view `hls_url` belongs to, while that view may go on.

        The player keeps playing and no new view starts: same session, no new audit line.
        """
        camera = self.get_object()
        data = valid_input(LiveRenewalSerializer, request)
        try:
            grant = check_live_url_renewal(request.user, camera.pk, data["hls_url"])
        except MediaRefused as error:
            return Response({"detail": error.reason}, status=error.status)
        stream = held_stream(camera, data["stream"])
        add_demand(camera.pk, viewer_holder(request.user.pk, grant.session_id), stream=stream)
        return live_response(*signed_hls_url(grant), grant.session_id, stream)
