from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from rtcc import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("api/v1/", include("rtcc.api_urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("", include("cameras.urls")),
    path("", include("cameras.media.urls")),
    path("", include("agencies.urls")),
]

handler404 = "rtcc.views.not_found"
handler500 = "rtcc.views.server_error"
