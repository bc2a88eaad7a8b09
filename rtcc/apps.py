from django.apps import AppConfig
from django.urls import register_converter

from rtcc.validators import IdConverter


class RtccConfig(AppConfig):
    name = "rtcc"
    verbose_name = "OpenRTCC"

    def ready(self):
        from rtcc import checks  # noqa: F401 -- registers the system checks

        # Before any URLconf loads: `<id:...>` in urls.py and the API routers.
        register_converter(IdConverter, "id")
