from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from agencies.permissions import AgencyRolePermission
from cameras import services
from cameras.access import cameras_visible_to
from cameras.api.rows import camera_rows, counted_rows
from cameras.api.serializers import (
    CameraSerializer,
    MapQuerySerializer,
    MapSerializer,
    NearQuerySerializer,
    PullCameraCreateSerializer,
)
from cameras.map import map_items
from cameras.search import search_cameras


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("near", OpenApiTypes.STR, description="<lat>,<lon>: nearest first"),
            OpenApiParameter("radius", OpenApiTypes.FLOAT, description="metres around `near` (default 1000)"),
            OpenApiParameter("around", OpenApiTypes.STR, description="<lat>,<lon>: nearest first, no radius"),
            OpenApiParameter("q", OpenApiTypes.STR, description="text in the name or address"),
        ]
    ),
    create=extend_schema(request=PullCameraCreateSerializer, responses={201: CameraSerializer}),
)
class CameraViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Cameras the caller may know of. Agency admins add pull cameras."""

    serializer_class = CameraSerializer
    permission_classes = [AgencyRolePermission]
    write_roles = {"admin"}

    def get_queryset(self):
        cameras = cameras_visible_to(self.request.user)
        if self.action != "list":
            return cameras
        query = NearQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return search_cameras(
            cameras,
            near=query.validated_data.get("near"),
            radius=query.validated_data["radius"],
            around=query.validated_data.get("around"),
            text=query.validated_data["q"],
        )

    def list(self, request, *args, **kwargs):
        cameras = self.get_queryset()
        return self.paginator.counted_page(
            request, lambda offset, limit: counted_rows(cameras, offset, limit)
        )

    def create(self, request, *args, **kwargs):
        form = PullCameraCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        camera = services.do_create_pull_camera(request.user, request=request, **form.validated_data)
        camera = cameras_visible_to(request.user).get(pk=camera.pk)
        return Response(CameraSerializer(camera).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "bbox",
                OpenApiTypes.STR,
                required=True,
                description="<south>,<west>,<north>,<east> in degrees",
            ),
            OpenApiParameter(
                "zoom", OpenApiTypes.INT, required=True, description="map zoom, 0 (world) to 22"
            ),
        ],
        responses={200: MapSerializer},
    )
    @action(detail=False, url_path="map", pagination_class=None)
    def map(self, request):
        """What a map viewport shows, clustered on the server: at most 500 cameras and clusters."""
        query = MapQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        lone, clusters = map_items(request.user, query.viewport())
        cameras = camera_rows(lone)
        items = cameras + clusters
        total = len(cameras) + sum(cluster["count"] for cluster in clusters)
        return Response({"total": total, "items": items})
