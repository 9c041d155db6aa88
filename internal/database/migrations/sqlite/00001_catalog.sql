-- +goose Up
-- The catalog: entities, their relations and search rows, locations,
-- processing errors and provider refresh state. The tables ent knows mirror
-- ent/schema (the storage tests fail when the two drift apart); search and
-- search_nulls are the store's own (see ent/schema/doc.go).
CREATE TABLE `entities` (`id` text NOT NULL, `ref_key` text NOT NULL, `seq` integer NOT NULL, `kind` text NOT NULL, `namespace` text NOT NULL, `name` text NOT NULL, `body` blob NOT NULL, `etag` text NOT NULL, `hash` text NOT NULL, `provider` text NOT NULL, `source` text NOT NULL DEFAULT (''), `parent_ref` text NOT NULL DEFAULT (''), `orphan` bool NOT NULL DEFAULT (false), `has_errors` bool NOT NULL DEFAULT (false), `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, PRIMARY KEY (`id`));
CREATE UNIQUE INDEX `entities_ref_key_key` ON `entities` (`ref_key`);
CREATE UNIQUE INDEX `entities_seq_key` ON `entities` (`seq`);
CREATE INDEX `entity_kind_ref_key` ON `entities` (`kind`, `ref_key`);
CREATE INDEX `entity_provider_source` ON `entities` (`provider`, `source`);
CREATE TABLE `locations` (`id` text NOT NULL, `type` text NOT NULL, `target` text NOT NULL, `origin` text NOT NULL DEFAULT ('api'), `created_at` datetime NOT NULL, PRIMARY KEY (`id`));
CREATE UNIQUE INDEX `location_type_target` ON `locations` (`type`, `target`);
CREATE TABLE `processing_errors` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `provider` text NOT NULL, `entity_key` text NOT NULL DEFAULT (''), `file` text NOT NULL DEFAULT (''), `document` integer NOT NULL DEFAULT (0), `line` integer NOT NULL DEFAULT (0), `field` text NOT NULL DEFAULT (''), `message` text NOT NULL, `created_at` datetime NOT NULL);
CREATE INDEX `processingerror_provider` ON `processing_errors` (`provider`);
CREATE INDEX `processingerror_entity_key` ON `processing_errors` (`entity_key`);
CREATE TABLE `provider_states` (`id` text NOT NULL, `last_refresh_at` datetime NULL, `next_refresh_at` datetime NULL, `last_error` text NOT NULL DEFAULT (''), `entity_count` integer NOT NULL DEFAULT (0), PRIMARY KEY (`id`));
CREATE TABLE `relations` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `origin_seq` integer NOT NULL, `source_key` text NOT NULL, `type` text NOT NULL, `target_ref` text NOT NULL, `target_key` text NOT NULL);
CREATE INDEX `relation_source_key_type_target_key` ON `relations` (`source_key`, `type`, `target_key`);
CREATE INDEX `relation_target_key` ON `relations` (`target_key`);
CREATE INDEX `relation_origin_seq` ON `relations` (`origin_seq`);
-- Flattened key/value pairs (lower-cased) of every entity, clustered on
-- what filters look up; original_value is kept only where lower-casing
-- changed the value. Keys whose value is null or too long to index sit in
-- search_nulls, so that "exists" still finds them.
CREATE TABLE `search` (`key` text NOT NULL, `value` text NOT NULL, `entity_seq` integer NOT NULL, `original_value` text NULL, PRIMARY KEY (`key`, `value`, `entity_seq`)) WITHOUT ROWID;
CREATE INDEX `search_entity_seq` ON `search` (`entity_seq`);
CREATE TABLE `search_nulls` (`key` text NOT NULL, `entity_seq` integer NOT NULL, PRIMARY KEY (`key`, `entity_seq`)) WITHOUT ROWID;
CREATE INDEX `search_nulls_entity_seq` ON `search_nulls` (`entity_seq`);

-- +goose Down
DROP TABLE `search_nulls`;
DROP TABLE `search`;
DROP TABLE `relations`;
DROP TABLE `provider_states`;
DROP TABLE `processing_errors`;
DROP TABLE `locations`;
DROP TABLE `entities`;
