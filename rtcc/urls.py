from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from rtcc import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path(settings.CSP_REPORT_PATH.lstrip("/"), views.csp_report, name="csp-report"),
    path("api/v1/", include("rtcc.api_urls")),
    path("", include("agencies.signin.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    # One sign-in page for everyone, with its code and its lockout: the admin's own form has neither.
    path("admin/login/", RedirectView.as_view(url="/accounts/login/", query_string=True)),
    path("admin/", admin.site.urls),
    path("", include("cameras.urls")),
    path("", include("cameras.media.urls")),
    path("", include("devices.urls")),
]

handler404 = "rtcc.views.not_found"
handler500 = "rtcc.views.server_error"
