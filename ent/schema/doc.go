// Package schema holds Pont's hand-written ent schemas; everything else
// under ent/ is generated from them.
//
// Three tables are not here: search and search_nulls, the flattened
// key/value index behind the Backstage filters, and entity_text, the
// full-text index behind text search (an FTS5 table on SQLite; a tsvector
// under a GIN index on PostgreSQL, with the SQL function pont_text_vector).
// They are derived data, written and read only as bulk SQL by
// catalog/entstore, and their shapes (a clustered primary key on (key,
// value, entity_seq), a virtual table) are ones ent cannot express. Their
// DDL lives in the migrations only.
package schema
