-- +goose Up
-- The full-text index behind Store.SearchText (catalog/entstore/fulltext.go):
-- an FTS5 table, one row per entity, whose rowid is the entity's seq. It is
-- contentless (the text lives in entities.body) and contentless_delete lets
-- the store delete a row by rowid. unicode61 folds case and diacritics and
-- splits on everything but letters and digits, so "payments-api",
-- "payments_api" and "payments.api" all hold the words payments and api.
-- Columns, in bm25 weight order: name, title, tags, description, and extra
-- (kind, spec.type, spec.owner). The prefix indexes serve two- and
-- three-letter prefixes, the ones whose term ranges are widest.
CREATE VIRTUAL TABLE `entity_text` USING fts5(`name`, `title`, `description`, `tags`, `extra`, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2', prefix='2 3');
-- Backfill what an upgraded catalog holds already. The body is a BLOB of
-- JSON text (cast, or json_extract reads it as JSONB).
INSERT INTO `entity_text` (`rowid`, `name`, `title`, `description`, `tags`, `extra`)
SELECT `seq`, `name`,
       COALESCE(json_extract(CAST(`body` AS TEXT), '$.metadata.title'), ''),
       COALESCE(json_extract(CAST(`body` AS TEXT), '$.metadata.description'), ''),
       COALESCE(json_extract(CAST(`body` AS TEXT), '$.metadata.tags'), ''),
       `kind` || ' ' || COALESCE(json_extract(CAST(`body` AS TEXT), '$.spec.type'), '') || ' ' || COALESCE(json_extract(CAST(`body` AS TEXT), '$.spec.owner'), '')
FROM `entities`;

-- +goose Down
DROP TABLE `entity_text`;
