from django.urls import include, path

from cameras.wall import views

layout_patterns = [
    path("", views.layouts, name="wall-layouts"),
    path("<id:layout_id>/", views.layout_detail, name="wall-layout"),
    path("<id:layout_id>/push/", views.layout_push, name="wall-layout-push"),
]

urlpatterns = [
    path("wall/", views.wall, name="wall"),
    path("wall/tile/<id:camera_id>/", views.wall_tile, name="wall-tile"),
    path("wall/purpose/", views.wall_purpose, name="wall-purpose"),
    path("wall/layouts/", include(layout_patterns)),
]
