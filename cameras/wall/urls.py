from django.urls import path

from cameras.wall import views

urlpatterns = [
    path("wall/", views.wall, name="wall"),
    path("wall/purpose/", views.wall_purpose, name="wall-purpose"),
    path("wall/layouts/", views.layouts, name="wall-layouts"),
    path("wall/layouts/<id:layout_id>/", views.layout_detail, name="wall-layout"),
    path("wall/layouts/<id:layout_id>/push/", views.layout_push, name="wall-layout-push"),
]
