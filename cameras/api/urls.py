from rest_framework.routers import SimpleRouter

from cameras.api.portal import register_portal_routes
from cameras.api.views import CameraViewSet

router = SimpleRouter()
router.register("cameras", CameraViewSet, basename="camera")
register_portal_routes(router)

urlpatterns = router.urls
