-- +goose Up
-- An entity's relations are read from the index alone: it carries
-- target_ref (the ref as written) besides the keys it is sorted by.
DROP INDEX `relation_source_key_type_target_key`;
CREATE INDEX `relation_source_key_type_target_key_target_ref` ON `relations` (`source_key`, `type`, `target_key`, `target_ref`);

-- +goose Down
DROP INDEX `relation_source_key_type_target_key_target_ref`;
CREATE INDEX `relation_source_key_type_target_key` ON `relations` (`source_key`, `type`, `target_key`);
