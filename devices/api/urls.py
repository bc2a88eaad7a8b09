from django.urls import path

from devices.api.claim import ClaimView
from devices.api.stock import BatchView, DeviceViewSet
from devices.api.uploads import UploadCompleteView, UploadFileView
from devices.api.views import EnrollView, HeartbeatView
from rtcc.routers import IdRouter

router = IdRouter()
router.register("devices", DeviceViewSet, basename="device")

urlpatterns = [
    path("devices/enroll/", EnrollView.as_view(), name="device-enroll"),
    path("devices/heartbeat/", HeartbeatView.as_view(), name="device-heartbeat"),
    path("devices/batches/", BatchView.as_view(), name="device-batches"),
    path(
        "devices/uploads/<int:upload_id>/complete/",
        UploadCompleteView.as_view(),
        name="device-upload-complete",
    ),
    path("devices/uploads/<int:upload_id>/<str:name>", UploadFileView.as_view(), name="device-upload-file"),
    path("portal/devices/claim/", ClaimView.as_view(), name="portal-device-claim-api"),
    *router.urls,
]
