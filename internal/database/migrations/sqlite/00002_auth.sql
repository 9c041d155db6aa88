-- +goose Up
-- Sign-in and accountability: browser sessions and sign-ins in flight
-- (shared by every replica), Pont API tokens (hashes only), the audit
-- trail, and who registered each location.
ALTER TABLE `locations` ADD COLUMN `created_by` text NOT NULL DEFAULT ('');
CREATE TABLE `api_tokens` (`id` text NOT NULL, `name` text NOT NULL, `hash` text NOT NULL, `prefix` text NOT NULL, `owner_subject` text NOT NULL, `owner_name` text NOT NULL DEFAULT (''), `principal` blob NOT NULL, `scopes` json NOT NULL, `created_at` datetime NOT NULL, `expires_at` datetime NOT NULL, `last_used_at` datetime NULL, `revoked_at` datetime NULL, PRIMARY KEY (`id`));
CREATE UNIQUE INDEX `api_tokens_hash_key` ON `api_tokens` (`hash`);
CREATE INDEX `apitoken_owner_subject` ON `api_tokens` (`owner_subject`);
CREATE TABLE `audit_events` (`id` text NOT NULL, `time` datetime NOT NULL, `actor` text NOT NULL, `actor_kind` text NOT NULL DEFAULT (''), `action` text NOT NULL, `target` text NOT NULL DEFAULT (''), `outcome` text NOT NULL, `reason` text NOT NULL DEFAULT (''), `remote_addr` text NOT NULL DEFAULT (''), `request_id` text NOT NULL DEFAULT (''), `details` text NOT NULL DEFAULT (''), PRIMARY KEY (`id`));
CREATE INDEX `auditevent_time` ON `audit_events` (`time`);
CREATE INDEX `auditevent_actor_time` ON `audit_events` (`actor`, `time`);
CREATE INDEX `auditevent_action_time` ON `audit_events` (`action`, `time`);
CREATE TABLE `login_states` (`id` text NOT NULL, `verifier` text NOT NULL, `nonce` text NOT NULL, `return_to` text NOT NULL DEFAULT ('/'), `created_at` datetime NOT NULL, `expires_at` datetime NOT NULL, PRIMARY KEY (`id`));
CREATE INDEX `loginstate_expires_at` ON `login_states` (`expires_at`);
CREATE TABLE `sessions` (`id` text NOT NULL, `subject` text NOT NULL, `principal` blob NOT NULL, `id_token` text NOT NULL DEFAULT (''), `created_at` datetime NOT NULL, `last_seen_at` datetime NOT NULL, `expires_at` datetime NOT NULL, PRIMARY KEY (`id`));
CREATE INDEX `session_subject` ON `sessions` (`subject`);
CREATE INDEX `session_expires_at` ON `sessions` (`expires_at`);

-- +goose Down
DROP TABLE `sessions`;
DROP TABLE `login_states`;
DROP TABLE `audit_events`;
DROP TABLE `api_tokens`;
ALTER TABLE `locations` DROP COLUMN `created_by`;
