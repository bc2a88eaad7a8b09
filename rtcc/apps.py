from django.apps import AppConfig


class RtccConfig(AppConfig):
    name = "rtcc"
    verbose_name = "OpenRTCC"

    def ready(self):
        from rtcc import checks  # noqa: F401 -- registers the system checks
