-- The database roles of a deployment (docs/ARCHITECTURE.md, "Database roles").
-- Run once, as a PostgreSQL superuser, with psql:
--
--   psql -v owner_password="…" -v app_password="…" -v dbname=project8 -f docs/sql/roles.sql
--
-- p8_owner owns the schema and every table: `manage.py migrate` connects as it.
-- p8_app is the application (web, worker, beat): it reads and writes rows and owns
-- nothing, so it cannot ALTER or DISABLE a trigger, DROP a table, or SET
-- session_replication_role (superusers only); docs/sql/app_grants.sql gives it its rights.

CREATE ROLE p8_owner LOGIN PASSWORD :'owner_password'
    NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
CREATE ROLE p8_app LOGIN PASSWORD :'app_password'
    NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT;

CREATE DATABASE :"dbname" OWNER p8_owner;
\connect :"dbname"
ALTER SCHEMA public OWNER TO p8_owner;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
REVOKE ALL ON DATABASE :"dbname" FROM PUBLIC;
