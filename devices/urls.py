from django.urls import path, re_path

from devices import views

urlpatterns = [
    path("portal/devices/", views.device_list, name="portal-devices"),
    path("portal/devices/claim/", views.device_claim, name="portal-device-claim"),
    re_path(
        r"^portal/devices/(?P<serial>[^/]{1,64})/(?P<action>pause|resume)/$",
        views.device_switch,
        name="portal-device-switch",
    ),
]
