from rest_framework.routers import SimpleRouter

from cameras.api.live import CameraLiveViewSet
from cameras.api.portal import register_portal_routes
from cameras.api.views import CameraViewSet

router = SimpleRouter()
router.register("cameras", CameraViewSet, basename="camera")
router.register("cameras", CameraLiveViewSet, basename="camera-live")
register_portal_routes(router)

urlpatterns = router.urls
