from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations


class Migration(migrations.Migration):
    """The search of estimates ignores accents (``core.search``): PostgreSQL's ``unaccent``
    extension (a trusted extension: the database's owner may create it). Nothing on
    SQLite, where ``core.apps`` registers the function."""

    dependencies = [("estimates", "0003_purpose_limit")]

    operations = [UnaccentExtension()]
