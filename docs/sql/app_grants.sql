-- The application role's rights (docs/ARCHITECTURE.md, "Database roles").
-- Run as p8_owner after every `manage.py migrate` (it is idempotent; new tables need it):
--
--   psql "postgres://p8_owner@host/project8" -f docs/sql/app_grants.sql
--
-- p8_app reads and writes rows; the append-only tables (the audit trail, the ledger's
-- entries) it may read and append to, never change, delete or truncate, and the audit
-- chain's head it may only move forward (a trigger allows one entry at a time). It owns
-- nothing, so it cannot switch a trigger off.

DO $$
BEGIN
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO p8_app', current_database());
END
$$;
GRANT USAGE ON SCHEMA public TO p8_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO p8_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO p8_app;
REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM p8_app;

-- Append-only.
REVOKE UPDATE, DELETE ON approvals_auditentry, ledger_entry FROM p8_app;
REVOKE DELETE ON approvals_auditchainhead FROM p8_app;

-- Migrations are the owner's.
REVOKE INSERT, UPDATE, DELETE ON django_migrations FROM p8_app;
