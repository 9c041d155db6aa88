package entstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Reads are most of the traffic, and with the pure-Go SQLite driver,
// preparing a statement costs as much as running it. The store keeps
// prepared statements by query text (database/sql re-prepares them on each
// pooled connection as needed), and totals of by-query pages for a moment.

// maxPrepared bounds the statement cache: queries with long IN lists or
// rare filters beyond it run unprepared.
const maxPrepared = 256

type statements struct {
	mu    sync.Mutex
	bySQL map[string]*sql.Stmt
}

// query runs a read through a cached prepared statement.
func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := s.prepared(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return s.db.SQL.QueryContext(ctx, query, args...)
}

// queryRow is query for one row.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if st := s.prepared(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return s.db.SQL.QueryRowContext(ctx, query, args...)
}

func (s *Store) prepared(ctx context.Context, query string) *sql.Stmt {
	s.stmts.mu.Lock()
	defer s.stmts.mu.Unlock()
	if st, ok := s.stmts.bySQL[query]; ok {
		return st
	}
	if s.stmts.bySQL == nil {
		s.stmts.bySQL = map[string]*sql.Stmt{}
	}
	if len(s.stmts.bySQL) >= maxPrepared {
		return nil
	}
	st, err := s.db.SQL.PrepareContext(ctx, query)
	if err != nil {
		return nil // the plain query reports the error
	}
	s.stmts.bySQL[query] = st
	return st
}

// countTTL bounds how long a by-query total is reused. Every write through
// this store drops the totals at once; the TTL bounds how stale a total can
// be when another replica wrote.
const countTTL = time.Second

type counts struct {
	generation atomic.Uint64 // bumped by every write
	mu         sync.Mutex
	byQuery    map[string]countEntry
}

type countEntry struct {
	generation uint64
	at         time.Time
	n          int
}

// wrote records a write, so no total from before it is reused.
func (s *Store) wrote() { s.counts.generation.Add(1) }

// count returns how many entities match the where clause.
func (s *Store) count(ctx context.Context, where string, args []any) (int, error) {
	key := where + "\x00" + fmt.Sprint(args...)
	gen := s.counts.generation.Load()
	s.counts.mu.Lock()
	e, ok := s.counts.byQuery[key]
	s.counts.mu.Unlock()
	if ok && e.generation == gen && time.Since(e.at) < countTTL {
		return e.n, nil
	}
	var n int
	if err := s.queryRow(ctx, s.q("SELECT COUNT(*) FROM entities e WHERE "+where), args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count entities: %w", err)
	}
	s.counts.mu.Lock()
	if s.counts.byQuery == nil || len(s.counts.byQuery) > 1000 {
		s.counts.byQuery = map[string]countEntry{}
	}
	s.counts.byQuery[key] = countEntry{generation: gen, at: time.Now(), n: n}
	s.counts.mu.Unlock()
	return n, nil
}

// Close stops the change feed's listener and releases the prepared
// statements.
func (s *Store) Close() error {
	s.closeFeed()
	s.stmts.mu.Lock()
	defer s.stmts.mu.Unlock()
	var errs []string
	for _, st := range s.stmts.bySQL {
		if err := st.Close(); err != nil {
			errs = append(errs, err.Error())
		}
	}
	s.stmts.bySQL = nil
	if len(errs) > 0 {
		return fmt.Errorf("close statements: %s", strings.Join(errs, "; "))
	}
	return nil
}
