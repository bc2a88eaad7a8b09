from django.urls import path

from cameras.wall import views

urlpatterns = [
    path("wall/", views.wall, name="wall"),
]
