from django.urls import include, path

urlpatterns = [
    path("", include("cameras.wall.urls")),
    path("", include("cameras.portal.urls")),
    path("", include("cameras.transparency.urls")),
    path("", include("cameras.oversight.urls")),
]
