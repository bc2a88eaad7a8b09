from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AgenciesConfig(AppConfig):
    name = "agencies"
    verbose_name = "Agencies and audit"

    def ready(self):
        from agencies import signals  # noqa: F401 -- connects the audit receivers
        from agencies.roles import sync_role_group
        from agencies.signin import signals as signin_signals  # noqa: F401 -- access follows the account

        # Every app's post_migrate, not only ours: permissions of later apps are created in theirs.
        post_migrate.connect(sync_role_group, dispatch_uid="agencies-sync-role-group")
