#!/bin/sh
# The postgres service's first start only (an empty data volume): the two database roles
# and the application's database, owned by p8_owner (docs/sql/roles.sql, mounted at
# /sql). Migrations then run as p8_owner (the migrate service), which also grants p8_app
# its rights (manage.py app_grants); web, worker and beat connect as p8_app.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v owner_password="$P8_OWNER_PASSWORD" \
    -v app_password="$P8_APP_PASSWORD" \
    -v dbname="$P8_DB" \
    -f /sql/roles.sql
