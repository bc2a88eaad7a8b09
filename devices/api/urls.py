from django.urls import path

from devices.api.views import EnrollView, HeartbeatView

urlpatterns = [
    path("devices/enroll/", EnrollView.as_view(), name="device-enroll"),
    path("devices/heartbeat/", HeartbeatView.as_view(), name="device-heartbeat"),
]
