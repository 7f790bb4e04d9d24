from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from .search import sqlite_functions

        connection_created.connect(sqlite_functions, dispatch_uid="core.sqlite_functions")
