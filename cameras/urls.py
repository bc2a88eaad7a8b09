from django.urls import path

from cameras import views

urlpatterns = [
    path("wall/", views.wall, name="wall"),
    path("portal/", views.portal, name="portal"),
]
