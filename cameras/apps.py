from django.apps import AppConfig


class CamerasConfig(AppConfig):
    name = "cameras"
    verbose_name = "Cameras and consent"

    def ready(self):
        # Imported for their receivers: walls hear of consent changes.
        from cameras.wall import signals as wall_signals  # noqa: F401
