-- +goose Up
-- A covering index for what GraphQL reads of a related entity (its ref):
-- the neighbourhood of an entity is then read from the index alone, not
-- from the rows with their descriptor bodies.
CREATE INDEX "entity_ref_key_id_kind_namespace_name" ON "entities" ("ref_key", "id", "kind", "namespace", "name");

-- +goose Down
DROP INDEX "entity_ref_key_id_kind_namespace_name";
