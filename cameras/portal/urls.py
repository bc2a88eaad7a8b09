from django.urls import path

from cameras.portal import views

urlpatterns = [
    path("portal/", views.portal, name="portal"),
]
