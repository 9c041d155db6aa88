-- +goose Up
-- Sign-in and accountability: browser sessions and sign-ins in flight
-- (shared by every replica), Pont API tokens (hashes only), the audit
-- trail, and who registered each location.
ALTER TABLE "locations" ADD COLUMN "created_by" character varying NOT NULL DEFAULT '';
CREATE TABLE "api_tokens" ("id" character varying NOT NULL, "name" character varying NOT NULL, "hash" character varying NOT NULL, "prefix" character varying NOT NULL, "owner_subject" character varying NOT NULL, "owner_name" character varying NOT NULL DEFAULT '', "principal" bytea NOT NULL, "scopes" jsonb NOT NULL, "created_at" timestamptz NOT NULL, "expires_at" timestamptz NOT NULL, "last_used_at" timestamptz NULL, "revoked_at" timestamptz NULL, PRIMARY KEY ("id"));
CREATE UNIQUE INDEX "api_tokens_hash_key" ON "api_tokens" ("hash");
CREATE INDEX "apitoken_owner_subject" ON "api_tokens" ("owner_subject");
CREATE TABLE "audit_events" ("id" character varying NOT NULL, "time" timestamptz NOT NULL, "actor" character varying NOT NULL, "actor_kind" character varying NOT NULL DEFAULT '', "action" character varying NOT NULL, "target" character varying NOT NULL DEFAULT '', "outcome" character varying NOT NULL, "reason" text NOT NULL DEFAULT '', "remote_addr" character varying NOT NULL DEFAULT '', "request_id" character varying NOT NULL DEFAULT '', "details" text NOT NULL DEFAULT '', PRIMARY KEY ("id"));
CREATE INDEX "auditevent_time" ON "audit_events" ("time");
CREATE INDEX "auditevent_actor_time" ON "audit_events" ("actor", "time");
CREATE INDEX "auditevent_action_time" ON "audit_events" ("action", "time");
CREATE TABLE "login_states" ("id" character varying NOT NULL, "verifier" character varying NOT NULL, "nonce" character varying NOT NULL, "return_to" character varying NOT NULL DEFAULT '/', "created_at" timestamptz NOT NULL, "expires_at" timestamptz NOT NULL, PRIMARY KEY ("id"));
CREATE INDEX "loginstate_expires_at" ON "login_states" ("expires_at");
CREATE TABLE "sessions" ("id" character varying NOT NULL, "subject" character varying NOT NULL, "principal" bytea NOT NULL, "id_token" text NOT NULL DEFAULT '', "created_at" timestamptz NOT NULL, "last_seen_at" timestamptz NOT NULL, "expires_at" timestamptz NOT NULL, PRIMARY KEY ("id"));
CREATE INDEX "session_subject" ON "sessions" ("subject");
CREATE INDEX "session_expires_at" ON "sessions" ("expires_at");

-- +goose Down
DROP TABLE "sessions";
DROP TABLE "login_states";
DROP TABLE "audit_events";
DROP TABLE "api_tokens";
ALTER TABLE "locations" DROP COLUMN "created_by";
