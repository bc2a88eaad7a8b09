from cameras.api.incidents import IncidentViewSet
from cameras.api.live import CameraLiveViewSet
from cameras.api.portal import register_portal_routes
from cameras.api.views import CameraViewSet
from cameras.footage.playback_api import CameraPlaybackViewSet, RecordingExportViewSet
from rtcc.routers import IdRouter

router = IdRouter()
router.register("cameras", CameraViewSet, basename="camera")
router.register("cameras", CameraLiveViewSet, basename="camera-live")
router.register("cameras", CameraPlaybackViewSet, basename="camera-playback")
router.register("recording-exports", RecordingExportViewSet, basename="recording-export")
register_portal_routes(router)
router.register("incidents", IncidentViewSet, basename="incident")

urlpatterns = router.urls
