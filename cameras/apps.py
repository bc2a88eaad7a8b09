from django.apps import AppConfig


class CamerasConfig(AppConfig):
    name = "cameras"
    verbose_name = "Cameras and consent"

    def ready(self):
        # Imported for their receivers: relay nodes wake, walls hear of consent changes and
        # incidents, viewing sessions end when their camera may no longer be seen, stored
        # media decisions are voided by every change that could revoke them.
        from cameras.media import revocations as media_revocations  # noqa: F401
        from cameras.relay import signals as relay_signals  # noqa: F401
        from cameras.viewing import signals as viewing_signals  # noqa: F401
        from cameras.wall import signals as wall_signals  # noqa: F401
