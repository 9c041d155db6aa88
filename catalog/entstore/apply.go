package entstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/internal/database"
)

// newUID makes a metadata.uid. Version 7 UUIDs grow with time, so new rows
// land at the end of every index keyed by entity id instead of splitting
// pages all over it.
func newUID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}

// applyBatch is how many entities are written per round of statements.
const applyBatch = 2000

// known is what the store holds of an entity the provider owned before.
type known struct {
	id     string
	seq    int64
	hash   string
	orphan bool
}

// stored names a written entity: its uid, its seq and its ref key.
type stored struct {
	id  string
	seq int64
	key string
}

// Apply writes one mutation in one transaction: entities whose hash did not
// change are skipped, entities owned by another provider are refused with a
// processing error (the first owner keeps them), and for a full mutation
// the provider's entities it did not emit are deleted or flagged orphan.
func (s *Store) Apply(ctx context.Context, m *catalog.Mutation) (catalog.ApplyResult, error) {
	defer s.wrote()
	var res catalog.ApplyResult
	var changes []catalog.Change
	once := func() error {
		// One connection for the whole mutation: on PostgreSQL the bulk
		// rows go through COPY on the same session, inside the transaction.
		conn, err := s.db.SQL.Conn(ctx)
		if err != nil {
			return fmt.Errorf("connect: %w", err)
		}
		defer conn.Close()
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		res = catalog.ApplyResult{}
		a := &applier{s: s, conn: conn, tx: tx, m: m, res: &res, seen: map[string]bool{}}
		if err := a.run(ctx); err != nil {
			_ = tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
		changes = a.changes
		return nil
	}
	var err error
	if !m.Replayable {
		// A stream can be read once: a conflict fails the mutation and the
		// provider's next refresh converges.
		err = once()
	} else {
		err = s.retry(ctx, once)
	}
	if err == nil {
		s.publish(changes)
	}
	if err == nil && res.Inserted+res.Updated+res.Removed >= analyzeAfter {
		s.analyze(ctx)
	}
	return res, err
}

// analyzeAfter is how many changed entities make the store tidy up after a
// mutation. PostgreSQL gets fresh planner statistics: right after a large
// ingest it has none, and reads an entity's relations with a sequential
// scan of the whole table until autovacuum comes by; its full-text index
// gets its pending entries merged.
const analyzeAfter = 1000

// On SQLite it also checkpoints the WAL at once: otherwise the next small
// write (a touched file) pays for copying hundreds of megabytes back into
// the database, and takes seconds instead of milliseconds.
func (s *Store) analyze(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	// Best effort: the data is committed, only the plans are at stake.
	if s.pg {
		// entities and relations are vacuumed too: their visibility maps
		// let reads use their covering indexes alone (index-only scans),
		// which a fresh bulk insert would otherwise deny.
		_, _ = s.db.SQL.ExecContext(ctx, "VACUUM (ANALYZE) entities, relations")
		_, _ = s.db.SQL.ExecContext(ctx, "ANALYZE search, search_nulls, entity_text")
		// A large write leaves its full-text entries in the GIN index's
		// pending list, which every search scans until autovacuum merges
		// it (a minute of 5-30 ms searches after a 50k ingest): merge now.
		_, _ = s.db.SQL.ExecContext(ctx, "SELECT gin_clean_pending_list('entity_text_doc')")
		return
	}
	// SQLite's planner does well without statistics on the big tables
	// (ANALYZE of a million-row index would only cost CPU), but on
	// entities it needs them to read a list of refs from the covering
	// index rather than the unique one: five times faster for GraphQL's
	// neighbourhoods. analysis_limit keeps it to a sample.
	_, _ = s.db.SQL.ExecContext(ctx, "PRAGMA analysis_limit=1000; ANALYZE entities")
	_, _ = s.db.SQL.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
}

type applier struct {
	s       *Store
	conn    *sql.Conn // the session of tx
	tx      *sql.Tx
	m       *catalog.Mutation
	res     *catalog.ApplyResult
	known   map[string]known
	seen    map[string]bool
	errors  []catalog.ProcessingError
	nextSeq int64 // SQLite: the next free seq (the write lock is ours)
	// changes is what the mutation stored or removed, for the change feed
	// once it commits.
	changes []catalog.Change
}

// writerCacheKiB is the SQLite page cache the writing connection gets for
// a mutation: a 50,000-entity ingest spills pages to the WAL and reads them
// back when the cache is small (16 s with 64 MiB, 22 s with 32 MiB). It is
// given back at the end, so idle connections stay small.
const writerCacheKiB = 65536

func (a *applier) run(ctx context.Context) error {
	if !a.s.pg {
		if _, err := a.tx.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = -%d", writerCacheKiB)); err != nil {
			return fmt.Errorf("raise cache: %w", err)
		}
		defer a.tx.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf("PRAGMA cache_size = -%d", database.SQLiteReaderCacheKiB))
	}
	if err := a.loadKnown(ctx); err != nil {
		return err
	}
	var batch []*catalog.Prepared
	var flushErr error
	if a.m.Entities != nil {
		for p := range a.m.Entities {
			if a.seen[p.Key] {
				a.errors = append(a.errors, catalog.ProcessingError{EntityKey: p.Key, Source: p.Source, Field: "metadata.name",
					Message: fmt.Sprintf("entity %s is emitted twice by the same provider; the first one is kept", p.Ref)})
				continue
			}
			a.seen[p.Key] = true
			batch = append(batch, p)
			if len(batch) >= applyBatch {
				if flushErr = a.flush(ctx, batch); flushErr != nil {
					break
				}
				batch = batch[:0]
			}
		}
	}
	if flushErr != nil {
		return flushErr
	}
	if a.m.Err != nil {
		if err := a.m.Err(); err != nil {
			return err
		}
	}
	if err := a.flush(ctx, batch); err != nil {
		return err
	}
	if err := a.removeUnseen(ctx); err != nil {
		return err
	}
	return a.replaceErrors(ctx)
}

// loadKnown reads what the provider owns (for a delta: from its sources).
func (a *applier) loadKnown(ctx context.Context) error {
	query := "SELECT ref_key, id, seq, hash, orphan FROM entities WHERE provider = ?"
	args := []any{a.m.Provider}
	if !a.m.Full {
		keys := append([]string(nil), a.m.Removed...)
		cond := []string{}
		if len(a.m.Sources) > 0 {
			cond = append(cond, "source IN ("+placeholders(len(a.m.Sources))+")")
			for _, src := range a.m.Sources {
				args = append(args, src)
			}
		}
		if len(keys) > 0 {
			cond = append(cond, "ref_key IN ("+placeholders(len(keys))+")")
			for _, k := range keys {
				args = append(args, k)
			}
		}
		if len(cond) == 0 {
			a.known = map[string]known{}
			return nil
		}
		query += " AND (" + strings.Join(cond, " OR ") + ")"
	}
	rows, err := a.tx.QueryContext(ctx, a.s.q(query), args...)
	if err != nil {
		return fmt.Errorf("read provider entities: %w", err)
	}
	defer rows.Close()
	a.known = map[string]known{}
	for rows.Next() {
		var k string
		var kn known
		if err := rows.Scan(&k, &kn.id, &kn.seq, &kn.hash, &kn.orphan); err != nil {
			return err
		}
		a.known[k] = kn
	}
	return rows.Err()
}

// flush writes one batch: updates of changed entities, inserts of new ones,
// then their search rows and relations.
func (a *applier) flush(ctx context.Context, batch []*catalog.Prepared) error {
	if len(batch) == 0 {
		return nil
	}
	var fresh []*catalog.Prepared
	var changed []*catalog.Prepared
	ids := make(map[*catalog.Prepared]stored, len(batch))
	for _, p := range batch {
		kn, ok := a.known[p.Key]
		switch {
		case ok && kn.hash == p.Hash && !kn.orphan:
			a.res.Unchanged++
		case ok:
			changed = append(changed, p)
			ids[p] = stored{kn.id, kn.seq, p.Key}
		default:
			fresh = append(fresh, p)
		}
	}
	// A new key may belong to another provider: the first owner keeps it.
	if len(fresh) > 0 {
		owners, err := a.ownersOf(ctx, fresh)
		if err != nil {
			return err
		}
		kept := fresh[:0]
		for _, p := range fresh {
			owner, taken := owners[p.Key]
			if taken && owner.provider == a.m.Provider {
				// A delta names an entity it did not load (no Sources
				// cover it): it is the provider's own, to update.
				if owner.hash == p.Hash && !owner.orphan {
					a.res.Unchanged++
				} else {
					changed = append(changed, p)
					ids[p] = stored{owner.id, owner.seq, p.Key}
				}
				a.known[p.Key] = owner.known
				continue
			}
			if taken {
				a.res.Conflicts++
				a.errors = append(a.errors, catalog.ProcessingError{
					Source: p.Source, Field: "metadata.name",
					Message: fmt.Sprintf("entity %s is already provided by %s; this location's copy was refused", p.Ref, catalog.DescribeProvider(owner.provider)),
				})
				continue
			}
			kept = append(kept, p)
		}
		fresh = kept
		seqs, err := a.allocSeqs(ctx, len(fresh))
		if err != nil {
			return err
		}
		for i, p := range fresh {
			ids[p] = stored{newUID(), seqs[i], p.Key}
		}
	}
	if len(changed) > 0 {
		if err := a.updateEntities(ctx, changed, ids); err != nil {
			return err
		}
	}
	if len(fresh) > 0 {
		if err := a.insertEntities(ctx, fresh, ids); err != nil {
			return err
		}
	}
	written := append(changed, fresh...)
	for _, p := range written {
		a.changes = append(a.changes, change(p.Key, false))
	}
	if err := a.insertSearch(ctx, written, ids); err != nil {
		return err
	}
	if err := a.insertText(ctx, written, ids); err != nil {
		return err
	}
	return a.insertRelations(ctx, written, ids)
}

// owned is a stored entity and the provider that owns it.
type owned struct {
	known
	provider string
}

func (a *applier) ownersOf(ctx context.Context, ps []*catalog.Prepared) (map[string]owned, error) {
	args := make([]any, len(ps))
	for i, p := range ps {
		args[i] = p.Key
	}
	rows, err := a.tx.QueryContext(ctx, a.s.q("SELECT ref_key, provider, id, seq, hash, orphan FROM entities WHERE ref_key IN ("+placeholders(len(ps))+")"), args...)
	if err != nil {
		return nil, fmt.Errorf("read owners: %w", err)
	}
	defer rows.Close()
	owners := map[string]owned{}
	for rows.Next() {
		var k string
		var o owned
		if err := rows.Scan(&k, &o.provider, &o.id, &o.seq, &o.hash, &o.orphan); err != nil {
			return nil, err
		}
		owners[k] = o
	}
	return owners, rows.Err()
}

// allocSeqs hands out n new entity seqs: from the entity_seq sequence on
// PostgreSQL, after the largest stored one on SQLite (whose single writer
// holds the lock for the whole mutation).
func (a *applier) allocSeqs(ctx context.Context, n int) ([]int64, error) {
	out := make([]int64, 0, n)
	if n == 0 {
		return out, nil
	}
	if a.s.pg {
		rows, err := a.tx.QueryContext(ctx, "SELECT nextval('entity_seq') FROM generate_series(1, $1)", n)
		if err != nil {
			return nil, fmt.Errorf("allocate entity seqs: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var v int64
			if err := rows.Scan(&v); err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, rows.Err()
	}
	if a.nextSeq == 0 {
		if err := a.tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) + 1 FROM entities").Scan(&a.nextSeq); err != nil {
			return nil, fmt.Errorf("allocate entity seqs: %w", err)
		}
	}
	for range n {
		out = append(out, a.nextSeq)
		a.nextSeq++
	}
	return out, nil
}

func (a *applier) updateEntities(ctx context.Context, ps []*catalog.Prepared, ids map[*catalog.Prepared]stored) error {
	t := now()
	stmt := a.s.q("UPDATE entities SET body = ?, hash = ?, etag = ?, source = ?, parent_ref = ?, name = ?, orphan = ?, updated_at = ? WHERE id = ?")
	for _, p := range ps {
		if _, err := a.tx.ExecContext(ctx, stmt, p.Body, p.Hash, newEtag(), p.Source, p.Parent, p.Ref.Name, false, t, ids[p].id); err != nil {
			return fmt.Errorf("update %s: %w", p.Ref, err)
		}
	}
	a.res.Updated += len(ps)
	seqs := make([]int64, len(ps))
	for i, p := range ps {
		seqs[i] = ids[p].seq
	}
	return a.s.clearDerived(ctx, a.tx, seqs)
}

func (a *applier) insertEntities(ctx context.Context, ps []*catalog.Prepared, ids map[*catalog.Prepared]stored) error {
	const cols = 14
	t := now()
	for start := 0; start < len(ps); start += 200 {
		chunk := ps[start:min(start+200, len(ps))]
		var sb strings.Builder
		sb.WriteString("INSERT INTO entities (id, seq, ref_key, kind, namespace, name, body, etag, hash, provider, source, parent_ref, created_at, updated_at) VALUES ")
		args := make([]any, 0, len(chunk)*cols)
		for i, p := range chunk {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
			args = append(args, ids[p].id, ids[p].seq, p.Key, strings.ToLower(p.Ref.Kind), strings.ToLower(p.Ref.Namespace), p.Ref.Name,
				p.Body, newEtag(), p.Hash, a.m.Provider, p.Source, p.Parent, t, t)
		}
		if _, err := a.tx.ExecContext(ctx, a.s.q(sb.String()), args...); err != nil {
			return fmt.Errorf("insert entities: %w", err)
		}
	}
	a.res.Inserted += len(ps)
	return nil
}

// bulkInsert starts a multi-row INSERT into a derived table where a
// duplicate row means nothing (the same key and value twice on one entity)
// and is dropped. On SQLite that is INSERT OR IGNORE, which also spares the
// statement journal a plain multi-row INSERT needs in case it aborts half
// way (it cost most of a 50,000-entity ingest); on PostgreSQL, ON CONFLICT
// DO NOTHING (returned as the suffix).
func (s *Store) bulkInsert(tableAndColumns string) (prefix, suffix string) {
	if s.pg {
		return "INSERT INTO " + tableAndColumns + " VALUES ", " ON CONFLICT DO NOTHING"
	}
	return "INSERT OR IGNORE INTO " + tableAndColumns + " VALUES ", ""
}

// rowWriter batches multi-row INSERTs of one table.
type rowWriter struct {
	a       *applier
	prefix  string
	suffix  string
	tuple   string
	perRow  int
	maxRows int
	sb      strings.Builder
	args    []any
	rows    int
}

func (w *rowWriter) add(ctx context.Context, vals ...any) error {
	if w.rows == 0 {
		w.sb.Reset()
		w.sb.WriteString(w.prefix)
	} else {
		w.sb.WriteByte(',')
	}
	w.sb.WriteString(w.tuple)
	w.args = append(w.args, vals...)
	w.rows++
	if w.rows >= w.maxRows {
		return w.flush(ctx)
	}
	return nil
}

func (w *rowWriter) flush(ctx context.Context) error {
	if w.rows == 0 {
		return nil
	}
	w.sb.WriteString(w.suffix)
	_, err := w.a.tx.ExecContext(ctx, w.a.s.q(w.sb.String()), w.args...)
	w.rows, w.args = 0, w.args[:0]
	return err
}

// searchRow and nullRow are rows of the search tables.
type searchRow struct {
	key, value string
	seq        int64
	original   *string
}

type nullRow struct {
	key string
	seq int64
}

// searchRowsOf gathers the search rows of written entities: deduplicated
// (a key and value met twice on one entity is one row), the value as
// written kept only where lower-casing changed it, and sorted in the
// clustered key's order, so the inserts of a batch land on neighbouring
// pages rather than all over the index.
func searchRowsOf(ps []*catalog.Prepared, ids map[*catalog.Prepared]stored) ([]searchRow, []nullRow) {
	type pair struct{ key, value string }
	var values []searchRow
	var nulls []nullRow
	for _, p := range ps {
		seq := ids[p].seq
		// metadata.uid is only known here. Plain uid filters use the
		// entities table; this row serves exists, prefix and facets.
		values = append(values, searchRow{key: "metadata.uid", value: ids[p].id, seq: seq})
		seen := make(map[pair]bool, len(p.Search))
		nullSeen := map[string]bool{}
		for _, r := range p.Search {
			if r.Value == nil {
				if !nullSeen[r.Key] {
					nullSeen[r.Key] = true
					nulls = append(nulls, nullRow{r.Key, seq})
				}
				continue
			}
			k := pair{r.Key, *r.Value}
			if seen[k] {
				continue
			}
			seen[k] = true
			original := r.Original
			if original != nil && *original == *r.Value {
				original = nil
			}
			values = append(values, searchRow{key: r.Key, value: *r.Value, seq: seq, original: original})
		}
	}
	slices.SortFunc(values, func(x, y searchRow) int {
		if c := strings.Compare(x.key, y.key); c != 0 {
			return c
		}
		if c := strings.Compare(x.value, y.value); c != 0 {
			return c
		}
		return cmp.Compare(x.seq, y.seq)
	})
	return values, nulls
}

func (a *applier) insertSearch(ctx context.Context, ps []*catalog.Prepared, ids map[*catalog.Prepared]stored) error {
	values, nulls := searchRowsOf(ps, ids)
	if a.s.pg {
		rows := make([][]any, len(values))
		for i, r := range values {
			rows[i] = []any{r.key, r.value, r.seq, r.original}
		}
		if err := a.copyRows(ctx, "search", []string{"key", "value", "entity_seq", "original_value"}, rows); err != nil {
			return err
		}
		rows = make([][]any, len(nulls))
		for i, r := range nulls {
			rows[i] = []any{r.key, r.seq}
		}
		return a.copyRows(ctx, "search_nulls", []string{"key", "entity_seq"}, rows)
	}
	prefix, suffix := a.s.bulkInsert("search (key, value, entity_seq, original_value)")
	vw := &rowWriter{a: a, prefix: prefix, suffix: suffix, tuple: "(?,?,?,?)", perRow: 4, maxRows: 2000}
	for _, r := range values {
		if err := vw.add(ctx, r.key, r.value, r.seq, r.original); err != nil {
			return fmt.Errorf("insert search rows: %w", err)
		}
	}
	if err := vw.flush(ctx); err != nil {
		return fmt.Errorf("insert search rows: %w", err)
	}
	prefix, suffix = a.s.bulkInsert("search_nulls (key, entity_seq)")
	nw := &rowWriter{a: a, prefix: prefix, suffix: suffix, tuple: "(?,?)", perRow: 2, maxRows: 2000}
	for _, r := range nulls {
		if err := nw.add(ctx, r.key, r.seq); err != nil {
			return fmt.Errorf("insert search rows: %w", err)
		}
	}
	if err := nw.flush(ctx); err != nil {
		return fmt.Errorf("insert search rows: %w", err)
	}
	return nil
}

func (a *applier) insertRelations(ctx context.Context, ps []*catalog.Prepared, ids map[*catalog.Prepared]stored) error {
	if a.s.pg {
		var rows [][]any
		for _, p := range ps {
			for _, r := range p.Relations {
				rows = append(rows, []any{ids[p].seq, r.SourceKey, r.Type, r.TargetRef, r.TargetKey})
			}
		}
		return a.copyRows(ctx, "relations", []string{"origin_seq", "source_key", "type", "target_ref", "target_key"}, rows)
	}
	w := &rowWriter{a: a, prefix: "INSERT INTO relations (origin_seq, source_key, type, target_ref, target_key) VALUES ", tuple: "(?,?,?,?,?)", perRow: 5, maxRows: 2000}
	for _, p := range ps {
		for _, r := range p.Relations {
			if err := w.add(ctx, ids[p].seq, r.SourceKey, r.Type, r.TargetRef, r.TargetKey); err != nil {
				return fmt.Errorf("insert relations: %w", err)
			}
		}
	}
	if err := w.flush(ctx); err != nil {
		return fmt.Errorf("insert relations: %w", err)
	}
	return nil
}

// removeUnseen deletes (or flags) what the provider owned and did not emit.
func (a *applier) removeUnseen(ctx context.Context) error {
	if a.m.SkipOrphans {
		return nil
	}
	keep := map[string]bool{}
	for _, e := range a.m.Errors {
		if e.EntityKey != "" {
			keep[e.EntityKey] = true
		}
	}
	removed := map[string]bool{}
	for _, k := range a.m.Removed {
		removed[k] = true
	}
	var gone []stored
	for k, kn := range a.known {
		if a.seen[k] || keep[k] {
			continue
		}
		if !a.m.Full && !removed[k] && len(a.m.Sources) == 0 {
			continue
		}
		gone = append(gone, stored{kn.id, kn.seq, k})
	}
	if len(gone) == 0 {
		return nil
	}
	if a.m.KeepOrphans {
		for _, g := range gone {
			if err := a.flagOrphan(ctx, g); err != nil {
				return err
			}
		}
		a.res.Orphaned += len(gone)
		return nil
	}
	a.res.Removed += len(gone)
	for _, g := range gone {
		a.changes = append(a.changes, change(g.key, true))
	}
	return a.s.deleteEntities(ctx, a.tx, gone)
}

// flagOrphan marks a kept orphan, in the column and, as Backstage does,
// with the backstage.io/orphan annotation that clients see. Its hash stays,
// so the orphan flag alone makes the entity rewritten when it comes back.
func (a *applier) flagOrphan(ctx context.Context, g stored) error {
	var body []byte
	var orphan bool
	if err := a.tx.QueryRowContext(ctx, a.s.q("SELECT body, orphan FROM entities WHERE id = ?"), g.id).Scan(&body, &orphan); err != nil {
		return fmt.Errorf("flag orphan: %w", err)
	}
	if orphan {
		return nil
	}
	var e catalog.Entity
	if err := json.Unmarshal(body, &e); err != nil {
		return fmt.Errorf("flag orphan: %w", err)
	}
	if e.Metadata.Annotations == nil {
		e.Metadata.Annotations = map[string]string{}
	}
	e.Metadata.Annotations[catalog.AnnotationOrphan] = "true"
	body, err := json.Marshal(&e)
	if err != nil {
		return err
	}
	if _, err := a.tx.ExecContext(ctx, a.s.q("UPDATE entities SET body = ?, etag = ?, orphan = ?, updated_at = ? WHERE id = ?"), body, newEtag(), true, now(), g.id); err != nil {
		return fmt.Errorf("flag orphan: %w", err)
	}
	// Its body (the orphan annotation) and etag changed; its indexed
	// text did not.
	a.changes = append(a.changes, change(g.key, false))
	return nil
}

// replaceErrors swaps the provider's stored errors (all of them for a full
// mutation, those of its sources for a delta) for this mutation's, and
// keeps each entity's has_errors flag true to what is stored.
func (a *applier) replaceErrors(ctx context.Context) error {
	all := append(append([]catalog.ProcessingError(nil), a.m.Errors...), a.errors...)
	affected := map[string]bool{}
	var err error
	if a.m.Full {
		err = a.collectKeys(ctx, affected, "SELECT DISTINCT entity_key FROM processing_errors WHERE provider = ?", a.m.Provider)
		if err == nil {
			_, err = a.tx.ExecContext(ctx, a.s.q("DELETE FROM processing_errors WHERE provider = ?"), a.m.Provider)
		}
	} else if len(a.m.Sources) > 0 {
		args := []any{a.m.Provider}
		for _, src := range a.m.Sources {
			args = append(args, src)
		}
		where := "provider = ? AND file IN (" + placeholders(len(a.m.Sources)) + ")"
		err = a.collectKeys(ctx, affected, "SELECT DISTINCT entity_key FROM processing_errors WHERE "+where, args...)
		if err == nil {
			_, err = a.tx.ExecContext(ctx, a.s.q("DELETE FROM processing_errors WHERE "+where), args...)
		}
	}
	if err != nil {
		return fmt.Errorf("replace processing errors: %w", err)
	}
	t := now()
	w := &rowWriter{a: a, prefix: "INSERT INTO processing_errors (provider, entity_key, file, document, line, field, message, created_at) VALUES ", tuple: "(?,?,?,?,?,?,?,?)", perRow: 8, maxRows: 500}
	for _, e := range all {
		key := e.EntityKey
		// An error is shown on the entity it concerns when this provider
		// owns that entity; otherwise (an entity never stored, or another
		// provider's) on the provider's own entity, so it is never hidden.
		if key == "" || (!a.seen[key] && !a.ownsKnown(key)) {
			key = a.m.ErrorKey
		}
		affected[key] = true
		if err := w.add(ctx, a.m.Provider, key, e.Source, e.Document, e.Line, e.Field, e.Message, t); err != nil {
			return fmt.Errorf("store processing errors: %w", err)
		}
	}
	if err := w.flush(ctx); err != nil {
		return fmt.Errorf("store processing errors: %w", err)
	}
	delete(affected, "")
	if len(affected) == 0 {
		return nil
	}
	keys := make([]any, 0, len(affected))
	for k := range affected {
		keys = append(keys, k)
	}
	for start := 0; start < len(keys); start += 500 {
		chunk := keys[start:min(start+500, len(keys))]
		q := "UPDATE entities SET has_errors = EXISTS (SELECT 1 FROM processing_errors pe WHERE pe.entity_key = entities.ref_key) WHERE ref_key IN (" + placeholders(len(chunk)) + ")"
		if _, err := a.tx.ExecContext(ctx, a.s.q(q), chunk...); err != nil {
			return fmt.Errorf("flag entities with errors: %w", err)
		}
	}
	return nil
}

func (a *applier) ownsKnown(key string) bool {
	_, ok := a.known[key]
	return ok
}

func (a *applier) collectKeys(ctx context.Context, into map[string]bool, query string, args ...any) error {
	rows, err := a.tx.QueryContext(ctx, a.s.q(query), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return err
		}
		into[k] = true
	}
	return rows.Err()
}
