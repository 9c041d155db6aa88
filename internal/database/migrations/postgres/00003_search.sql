-- +goose Up
-- The full-text index behind Store.SearchText (catalog/entstore/fulltext.go):
-- one row per entity (entity_seq is entities.seq) with its kind, for the
-- kinds filter, and a tsvector under a GIN index.
--
-- pont_text_vector is the one definition of what is indexed, used by the
-- store's writes and by the backfill below: punctuation becomes a space
-- (so "payments-api", "payments_api" and "payments.api" all hold the words
-- payments and api, where the default parser would keep "payments.api"
-- whole as a host name), and the 'simple' configuration lower-cases words
-- without stemming or stop words. Weights: A name, B title and tags,
-- C description, D extra (kind, spec.type, spec.owner).
-- +goose StatementBegin
CREATE FUNCTION pont_text_vector(name text, title text, description text, tags text, extra text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT setweight(to_tsvector('simple'::regconfig, regexp_replace(name, '[[:punct:]]+', ' ', 'g')), 'A')
      || setweight(to_tsvector('simple'::regconfig, regexp_replace(title || ' ' || tags, '[[:punct:]]+', ' ', 'g')), 'B')
      || setweight(to_tsvector('simple'::regconfig, regexp_replace(description, '[[:punct:]]+', ' ', 'g')), 'C')
      || setweight(to_tsvector('simple'::regconfig, regexp_replace(extra, '[[:punct:]]+', ' ', 'g')), 'D')
$$;
-- +goose StatementEnd
CREATE TABLE "entity_text" ("entity_seq" bigint NOT NULL, "kind" text COLLATE "C" NOT NULL, "doc" tsvector NOT NULL, PRIMARY KEY ("entity_seq"));
CREATE INDEX "entity_text_doc" ON "entity_text" USING gin ("doc");
-- Backfill what an upgraded catalog holds already. jsonb refuses the
-- escape \u0000 (a NUL, which a stored annotation may hold): drop it first.
INSERT INTO "entity_text" ("entity_seq", "kind", "doc")
SELECT e.seq, e.kind, pont_text_vector(e.name,
         COALESCE(b.j #>> '{metadata,title}', ''),
         COALESCE(b.j #>> '{metadata,description}', ''),
         COALESCE(b.j #>> '{metadata,tags}', ''),
         e.kind || ' ' || COALESCE(b.j #>> '{spec,type}', '') || ' ' || COALESCE(b.j #>> '{spec,owner}', ''))
FROM "entities" e
CROSS JOIN LATERAL (SELECT replace(convert_from(e.body, 'UTF8'), '\u0000', '')::jsonb AS j) b;

-- +goose Down
DROP TABLE "entity_text";
DROP FUNCTION pont_text_vector(text, text, text, text, text);
