// Package schema holds Pont's hand-written ent schemas; everything else
// under ent/ is generated from them.
//
// Two tables are not here: search and search_nulls, the flattened key/value
// index behind the Backstage filters. They are derived data, written and
// read only as bulk SQL by catalog/entstore, and their shape (a clustered
// primary key on (key, value, entity_seq)) is one ent cannot express. Their
// DDL lives in the migrations only.
package schema
