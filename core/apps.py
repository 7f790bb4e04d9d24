from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.core.signals import request_finished
        from django.db.backends.signals import connection_created

        from . import lookups  # noqa: F401 - registers ``field__any``
        from .logs import request_done
        from .search import sqlite_functions
        from .security import security_signals_connect

        connection_created.connect(sqlite_functions, dispatch_uid="core.sqlite_functions")
        security_signals_connect()
        request_finished.connect(request_done, dispatch_uid="core.logs.request_done")
