from django.apps import AppConfig


class AgenciesConfig(AppConfig):
    name = "agencies"
    verbose_name = "Agencies and audit"

    def ready(self):
        from agencies import signals  # noqa: F401 -- connects the audit receivers
