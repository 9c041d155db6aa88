// Package entstore is the catalog Store on Pont's database (SQLite or
// PostgreSQL, through ent). Simple reads and writes go through the generated
// ent client; the bulk paths of a 50,000-entity mutation and the dynamic
// filter queries of the Backstage API are SQL built here, batched so a
// mutation costs a few hundred statements, never one per row.
package entstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/ent"
	entlocation "github.com/pont-dev/pont/ent/location"
	"github.com/pont-dev/pont/ent/providerstate"
	"github.com/pont-dev/pont/internal/auth/principal"
	"github.com/pont-dev/pont/internal/database"
)

// Store implements catalog.Store.
type Store struct {
	db     *database.DB
	pg     bool
	stmts  statements
	counts counts
	feed   feed
}

var _ catalog.Store = (*Store)(nil)

// New returns a Store on an open, migrated database.
func New(db *database.DB) *Store {
	return &Store{db: db, pg: db.Dialect == dialect.Postgres}
}

// execer is what both *sql.DB and *sql.Tx offer.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// q rewrites ? placeholders into PostgreSQL's $n when needed. Queries here
// never hold a literal question mark.
func (s *Store) q(query string) string {
	if !s.pg {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?,", n-1) + "?"
}

func newEtag() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// inTx runs fn in one database transaction, retried with backoff when
// PostgreSQL reports a transient conflict (see retryable); fn must be safe
// to run again.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	defer s.wrote()
	return s.retry(ctx, func() error { return s.inTxOnce(ctx, fn) })
}

// retry runs op until it succeeds, fails for good, or five attempts pass.
func (s *Store) retry(ctx context.Context, op func() error) error {
	var err error
	for attempt := range 5 {
		if err = op(); err == nil || !retryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(5<<attempt) * time.Millisecond):
		}
	}
	return err
}

// retryable: serialization failures and deadlocks (database.Retryable)
// and unique violations, which here only come from two writers inserting
// the same new ref at once; a rerun sees the winner's row and refuses
// cleanly.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return true
	}
	return database.Retryable(err)
}

func (s *Store) inTxOnce(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// ---- reads --------------------------------------------------------------

const entityColumns = "e.id, e.ref_key, e.etag, e.provider, e.source, e.parent_ref, e.body, e.orphan, e.has_errors, e.updated_at"

func scanEntity(sc interface{ Scan(...any) error }) (*catalog.StoredEntity, bool, error) {
	var (
		e         catalog.StoredEntity
		hasErrors bool
	)
	if err := sc.Scan(&e.UID, &e.Key, &e.Etag, &e.Provider, &e.Source, &e.Parent, &e.Body, &e.Orphan, &hasErrors, &e.UpdatedAt); err != nil {
		return nil, false, err
	}
	return &e, hasErrors, nil
}

// EntityByKey reads one entity by its lower-cased ref.
func (s *Store) EntityByKey(ctx context.Context, key string) (*catalog.StoredEntity, error) {
	return s.entityWhere(ctx, "e.ref_key = ?", key)
}

// EntityByUID reads one entity by metadata.uid.
func (s *Store) EntityByUID(ctx context.Context, uid string) (*catalog.StoredEntity, error) {
	return s.entityWhere(ctx, "e.id = ?", uid)
}

// relationsJSON is SQL that gathers an entity's relations, in order, as a
// JSON array of [type, targetRef] pairs, so one entity costs one statement.
func (s *Store) relationsJSON() string {
	if s.pg {
		return "(SELECT COALESCE(json_agg(json_build_array(r.type, r.target_ref) ORDER BY r.type, r.target_key), '[]') FROM relations r WHERE r.source_key = e.ref_key)"
	}
	return "(SELECT json_group_array(json_array(type, target_ref)) FROM (SELECT r.type, r.target_ref FROM relations r WHERE r.source_key = e.ref_key ORDER BY r.type, r.target_key))"
}

func (s *Store) entityWhere(ctx context.Context, where string, arg any) (*catalog.StoredEntity, error) {
	row := s.queryRow(ctx, s.q("SELECT "+entityColumns+", "+s.relationsJSON()+" FROM entities e WHERE "+where), arg)
	var (
		e         catalog.StoredEntity
		hasErrors bool
		relJSON   []byte
	)
	err := row.Scan(&e.UID, &e.Key, &e.Etag, &e.Provider, &e.Source, &e.Parent, &e.Body, &e.Orphan, &hasErrors, &e.UpdatedAt, &relJSON)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, catalog.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read entity: %w", err)
	}
	var pairs [][2]string
	if err := json.Unmarshal(relJSON, &pairs); err != nil {
		return nil, fmt.Errorf("read relations: %w", err)
	}
	for _, p := range pairs {
		r := catalog.Relation{Type: p[0], TargetRef: p[1]}
		// Two origins may emit the same relation: list it once.
		if n := len(e.Relations); n > 0 && e.Relations[n-1] == r {
			continue
		}
		e.Relations = append(e.Relations, r)
	}
	list := []*catalog.StoredEntity{&e}
	if hasErrors {
		if err := s.attachErrors(ctx, list); err != nil {
			return nil, err
		}
	}
	return &e, nil
}

// EntitiesByKeys reads many entities by ref key, in the order asked.
func (s *Store) EntitiesByKeys(ctx context.Context, keys []string) ([]*catalog.StoredEntity, error) {
	out := make([]*catalog.StoredEntity, len(keys))
	byKey := make(map[string]*catalog.StoredEntity, len(keys))
	var found []*catalog.StoredEntity
	var withErrors []*catalog.StoredEntity
	for start := 0; start < len(keys); start += 500 {
		chunk := keys[start:min(start+500, len(keys))]
		args := make([]any, len(chunk))
		for i, k := range chunk {
			args[i] = k
		}
		rows, err := s.query(ctx, s.q("SELECT "+entityColumns+" FROM entities e WHERE e.ref_key IN ("+placeholders(len(chunk))+")"), args...)
		if err != nil {
			return nil, fmt.Errorf("read entities: %w", err)
		}
		for rows.Next() {
			e, hasErrors, err := scanEntity(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			byKey[e.Key] = e
			found = append(found, e)
			if hasErrors {
				withErrors = append(withErrors, e)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	if err := s.attachRelations(ctx, found); err != nil {
		return nil, err
	}
	if err := s.attachErrors(ctx, withErrors); err != nil {
		return nil, err
	}
	for i, k := range keys {
		out[i] = byKey[k]
	}
	return out, nil
}

// attachRelations reads the relations of the given entities in one query
// per 500 entities (no N+1).
func (s *Store) attachRelations(ctx context.Context, list []*catalog.StoredEntity) error {
	if len(list) == 0 {
		return nil
	}
	byKey := make(map[string]*catalog.StoredEntity, len(list))
	for _, e := range list {
		byKey[e.Key] = e
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	for start := 0; start < len(keys); start += 500 {
		chunk := keys[start:min(start+500, len(keys))]
		args := make([]any, len(chunk))
		for i, k := range chunk {
			args[i] = k
		}
		rows, err := s.query(ctx, s.q("SELECT source_key, type, target_ref FROM relations WHERE source_key IN ("+placeholders(len(chunk))+") ORDER BY source_key, type, target_key"), args...)
		if err != nil {
			return fmt.Errorf("read relations: %w", err)
		}
		var last catalog.Relation
		var lastKey string
		for rows.Next() {
			var key string
			var r catalog.Relation
			if err := rows.Scan(&key, &r.Type, &r.TargetRef); err != nil {
				rows.Close()
				return err
			}
			// Two origins may emit the same relation (A says it depends
			// on B, B says it is a dependency of A): list it once.
			if key == lastKey && r == last {
				continue
			}
			lastKey, last = key, r
			e := byKey[key]
			e.Relations = append(e.Relations, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) attachErrors(ctx context.Context, list []*catalog.StoredEntity) error {
	for _, e := range list {
		errs, err := s.errorsWhere(ctx, "entity_key = ?", e.Key)
		if err != nil {
			return err
		}
		e.Errors = errs
	}
	return nil
}

func (s *Store) errorsWhere(ctx context.Context, where string, args ...any) ([]catalog.ProcessingError, error) {
	rows, err := s.query(ctx, s.q("SELECT entity_key, file, document, line, field, message FROM processing_errors WHERE "+where+" ORDER BY id"), args...)
	if err != nil {
		return nil, fmt.Errorf("read processing errors: %w", err)
	}
	defer rows.Close()
	var out []catalog.ProcessingError
	for rows.Next() {
		var p catalog.ProcessingError
		if err := rows.Scan(&p.EntityKey, &p.Source, &p.Document, &p.Line, &p.Field, &p.Message); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// ProviderErrors lists the errors a provider's last mutations stored.
func (s *Store) ProviderErrors(ctx context.Context, provider string) ([]catalog.ProcessingError, error) {
	return s.errorsWhere(ctx, "provider = ?", provider)
}

// ProviderOf returns the provider that owns an entity.
func (s *Store) ProviderOf(ctx context.Context, key string) (string, error) {
	var p string
	err := s.queryRow(ctx, s.q("SELECT provider FROM entities WHERE ref_key = ?"), key).Scan(&p)
	if errors.Is(err, sql.ErrNoRows) {
		return "", catalog.ErrNotFound
	}
	return p, err
}

// DeleteEntity removes one entity with its search rows and the relations
// it emitted.
func (s *Store) DeleteEntity(ctx context.Context, uid string) error {
	var g stored
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, s.q("SELECT id, seq, ref_key FROM entities WHERE id = ?"), uid).Scan(&g.id, &g.seq, &g.key)
		if errors.Is(err, sql.ErrNoRows) {
			return catalog.ErrNotFound
		}
		if err != nil {
			return err
		}
		return s.deleteEntities(ctx, tx, []stored{g})
	})
	if err == nil {
		s.publish([]catalog.Change{change(g.key, true)})
	}
	return err
}

// clearDerived deletes the search rows, full-text rows and relations of
// entities.
func (s *Store) clearDerived(ctx context.Context, tx execer, seqs []int64) error {
	for start := 0; start < len(seqs); start += 500 {
		chunk := seqs[start:min(start+500, len(seqs))]
		args := make([]any, len(chunk))
		for i, v := range chunk {
			args[i] = v
		}
		in := placeholders(len(chunk))
		textSeq := "rowid" // the FTS5 table's rowid is the seq
		if s.pg {
			textSeq = "entity_seq"
		}
		for _, stmt := range []string{
			"DELETE FROM search WHERE entity_seq IN (" + in + ")",
			"DELETE FROM search_nulls WHERE entity_seq IN (" + in + ")",
			"DELETE FROM entity_text WHERE " + textSeq + " IN (" + in + ")",
			"DELETE FROM relations WHERE origin_seq IN (" + in + ")",
		} {
			if _, err := tx.ExecContext(ctx, s.q(stmt), args...); err != nil {
				return fmt.Errorf("clear derived rows: %w", err)
			}
		}
	}
	return nil
}

func (s *Store) deleteEntities(ctx context.Context, tx execer, gone []stored) error {
	seqs := make([]int64, len(gone))
	for i, g := range gone {
		seqs[i] = g.seq
	}
	if err := s.clearDerived(ctx, tx, seqs); err != nil {
		return err
	}
	for start := 0; start < len(gone); start += 500 {
		chunk := gone[start:min(start+500, len(gone))]
		args := make([]any, len(chunk))
		for i, g := range chunk {
			args[i] = g.id
		}
		if _, err := tx.ExecContext(ctx, s.q("DELETE FROM entities WHERE id IN ("+placeholders(len(chunk))+")"), args...); err != nil {
			return fmt.Errorf("delete entities: %w", err)
		}
	}
	return nil
}

// ---- locations and provider state ---------------------------------------

func toLocation(l *ent.Location) catalog.Location {
	return catalog.Location{ID: l.ID, Type: l.Type, Target: l.Target, Origin: l.Origin, CreatedBy: l.CreatedBy, CreatedAt: l.CreatedAt}
}

// CreateLocation stores a location; ErrAlreadyExists when its type and
// target are registered already.
func (s *Store) CreateLocation(ctx context.Context, l catalog.Location) (catalog.Location, error) {
	if l.ID == "" {
		l.ID = uuid.NewString()
	}
	if l.Origin == "" {
		l.Origin = "api"
	}
	created, err := s.db.Ent.Location.Create().SetID(l.ID).SetType(l.Type).SetTarget(l.Target).SetOrigin(l.Origin).SetCreatedBy(l.CreatedBy).Save(asStore(ctx))
	if ent.IsConstraintError(err) {
		return catalog.Location{}, catalog.ErrAlreadyExists
	}
	if err != nil {
		return catalog.Location{}, fmt.Errorf("create location: %w", err)
	}
	return toLocation(created), nil
}

// Location reads one location.
func (s *Store) Location(ctx context.Context, id string) (catalog.Location, error) {
	l, err := s.db.Ent.Location.Get(asStore(ctx), id)
	if ent.IsNotFound(err) {
		return catalog.Location{}, catalog.ErrNotFound
	}
	if err != nil {
		return catalog.Location{}, err
	}
	return toLocation(l), nil
}

// LocationByTarget reads the location of a type and target.
func (s *Store) LocationByTarget(ctx context.Context, typ, target string) (catalog.Location, error) {
	l, err := s.db.Ent.Location.Query().Where(entlocation.Type(typ), entlocation.Target(target)).Only(asStore(ctx))
	if ent.IsNotFound(err) {
		return catalog.Location{}, catalog.ErrNotFound
	}
	if err != nil {
		return catalog.Location{}, err
	}
	return toLocation(l), nil
}

// Locations lists every location, oldest first.
func (s *Store) Locations(ctx context.Context) ([]catalog.Location, error) {
	ls, err := s.db.Ent.Location.Query().Order(ent.Asc(entlocation.FieldCreatedAt), ent.Asc(entlocation.FieldID)).All(asStore(ctx))
	if err != nil {
		return nil, err
	}
	out := make([]catalog.Location, len(ls))
	for i, l := range ls {
		out[i] = toLocation(l)
	}
	return out, nil
}

// UpdateLocation changes a location's type and target.
func (s *Store) UpdateLocation(ctx context.Context, l catalog.Location) (catalog.Location, error) {
	updated, err := s.db.Ent.Location.UpdateOneID(l.ID).SetType(l.Type).SetTarget(l.Target).Save(asStore(ctx))
	switch {
	case ent.IsNotFound(err):
		return catalog.Location{}, catalog.ErrNotFound
	case ent.IsConstraintError(err):
		return catalog.Location{}, catalog.ErrAlreadyExists
	case err != nil:
		return catalog.Location{}, fmt.Errorf("update location: %w", err)
	}
	return toLocation(updated), nil
}

// DeleteLocation removes a location with everything its provider owns, in
// one transaction.
func (s *Store) DeleteLocation(ctx context.Context, id string) error {
	provider := catalog.LocationProvider(id)
	var gone []stored
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		gone = nil
		res, err := tx.ExecContext(ctx, s.q("DELETE FROM locations WHERE id = ?"), id)
		if err != nil {
			return fmt.Errorf("delete location: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return catalog.ErrNotFound
		}
		gone, err = s.storedWhere(ctx, tx, "provider = ?", provider)
		if err != nil {
			return err
		}
		if err := s.deleteEntities(ctx, tx, gone); err != nil {
			return err
		}
		for _, stmt := range []string{"DELETE FROM processing_errors WHERE provider = ?", "DELETE FROM provider_states WHERE id = ?"} {
			if _, err := tx.ExecContext(ctx, s.q(stmt), provider); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		changes := make([]catalog.Change, len(gone))
		for i, g := range gone {
			changes[i] = change(g.key, true)
		}
		s.publish(changes)
	}
	return err
}

func (s *Store) storedWhere(ctx context.Context, tx execer, where string, args ...any) ([]stored, error) {
	rows, err := tx.QueryContext(ctx, s.q("SELECT id, seq, ref_key FROM entities WHERE "+where), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []stored
	for rows.Next() {
		var g stored
		if err := rows.Scan(&g.id, &g.seq, &g.key); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// SetProviderState records a provider's refresh state.
func (s *Store) SetProviderState(ctx context.Context, st catalog.ProviderState) error {
	return s.db.Ent.ProviderState.Create().
		SetID(st.Provider).
		SetNillableLastRefreshAt(st.LastRefreshAt).
		SetNillableNextRefreshAt(st.NextRefreshAt).
		SetLastError(st.LastError).
		SetEntityCount(st.EntityCount).
		OnConflictColumns(providerstate.FieldID).
		UpdateNewValues().
		Exec(ctx)
}

// ProviderState reads a provider's refresh state.
func (s *Store) ProviderState(ctx context.Context, provider string) (catalog.ProviderState, error) {
	p, err := s.db.Ent.ProviderState.Get(asStore(ctx), provider)
	if ent.IsNotFound(err) {
		return catalog.ProviderState{}, catalog.ErrNotFound
	}
	if err != nil {
		return catalog.ProviderState{}, err
	}
	return catalog.ProviderState{Provider: p.ID, LastRefreshAt: p.LastRefreshAt, NextRefreshAt: p.NextRefreshAt, LastError: p.LastError, EntityCount: p.EntityCount}, nil
}

func now() time.Time { return time.Now().UTC() }

// asStore marks ctx as the store's own work for ent's privacy policies: the
// catalog API authorizes callers before it calls the store (see
// internal/auth), so the store itself reads and writes every row.
func asStore(ctx context.Context) context.Context { return principal.SystemContext(ctx) }
