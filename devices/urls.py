from django.urls import path

from devices import views

urlpatterns = [
    path("portal/devices/", views.device_list, name="portal-devices"),
    path("portal/devices/claim/", views.device_claim, name="portal-device-claim"),
]
