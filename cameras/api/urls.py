from rest_framework.routers import SimpleRouter

from cameras.api.views import CameraViewSet

router = SimpleRouter()
router.register("cameras", CameraViewSet, basename="camera")

urlpatterns = router.urls
