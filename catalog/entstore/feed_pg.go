package entstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/pont-dev/pont/catalog"
)

// The change feed across replicas, on PostgreSQL.
//
// After a write commits, publish sends its changes with pg_notify on
// notifyChannel, in one statement of as many notifications as the payload
// limit (8000 bytes) needs; a commit of more than notifyMaxChanges
// entities sends one notification saying only "overflow". Each
// notification names the Store that sent it (a random replica id), so a
// replica skips its own: it delivered them in-process already.
//
// The notification goes after the commit, not inside the transaction:
// the write paths (Apply's applier, inTx) stay as they are, a write never
// waits on the notification queue's commit lock, and a write that fails
// to notify has still succeeded. The cost is that a process dying between
// its commit and its pg_notify loses that one notification, unannounced.
//
// Each Store with subscribers holds one listener: a connection of its own,
// outside the database/sql pool (so it neither takes a pool slot nor
// leaves a LISTENing session in the pool), opened with the pool's
// connection settings. It is started by the first SubscribeChanges and
// stopped when the last subscriber cancels or the Store is closed. When
// the connection drops, the listener reconnects with backoff and then
// delivers a batch with Overflow set: what was sent meanwhile is lost.

const (
	notifyChannel = "pont_entity_changes"
	// notifyMaxChanges: a commit naming more entities is announced as an
	// overflow (a 50,000-entity ingest would otherwise be ~700
	// notifications that every replica decodes, for subscribers that
	// will re-read anyway).
	notifyMaxChanges = 2000
	// notifyMaxPayload: PostgreSQL refuses payloads of 8000 bytes or more.
	notifyMaxPayload = 7900
	// notifyEnvelope bounds the bytes of a notification around its
	// changes: {"r":"<32 hex>","b":<uint64>,"p":<int>,"n":<int>,"c":[]}.
	notifyEnvelope = 128
	notifyTimeout  = 5 * time.Second

	listenReadyWait = 5 * time.Second // SubscribeChanges waits this long for LISTEN
	listenIdlePing  = 30 * time.Second
	listenBackoff   = 100 * time.Millisecond
	listenBackoffMx = 10 * time.Second
	listenAppName   = "pont-change-feed"
)

// notification is the payload of one notification, as JSON.
type notification struct {
	Replica string `json:"r"`
	// Batch numbers the commits of one replica; a commit whose changes
	// need several notifications sends parts 0..Parts-1 of it, in order.
	Batch    uint64 `json:"b,omitempty"`
	Part     int    `json:"p,omitempty"`
	Parts    int    `json:"n,omitempty"`
	Overflow bool   `json:"o,omitempty"`
	// Changes are ref keys, each prefixed by + (stored) or - (removed).
	Changes []string `json:"c,omitempty"`
}

// pgBridge holds what the bridge caches; guarded by feed.mu.
type pgBridge struct {
	batch uint64
	cfg   *pgx.ConnConfig
}

// replicaID is this Store's id in notifications.
func (s *Store) replicaID() string {
	s.feed.replicaOnce.Do(func() {
		var b [16]byte
		_, _ = rand.Read(b[:])
		s.feed.replica = hex.EncodeToString(b[:])
	})
	return s.feed.replica
}

// encodeNotifications splits the changes of one commit into payloads of
// at most notifyMaxPayload bytes.
func encodeNotifications(replica string, batch uint64, changes []catalog.Change) []string {
	overflow := func() []string {
		p, _ := json.Marshal(notification{Replica: replica, Batch: batch, Overflow: true})
		return []string{string(p)}
	}
	if len(changes) > notifyMaxChanges {
		return overflow()
	}
	budget := notifyMaxPayload - notifyEnvelope
	var groups [][]string
	var cur []string
	size := 0
	for _, c := range changes {
		e := "+" + c.Key
		if c.Removed {
			e = "-" + c.Key
		}
		enc, _ := json.Marshal(e)
		n := len(enc) + 1 // and a comma
		if n > budget {
			return overflow() // a key no notification can hold
		}
		if size+n > budget {
			groups, cur, size = append(groups, cur), nil, 0
		}
		cur = append(cur, e)
		size += n
	}
	groups = append(groups, cur)
	out := make([]string, len(groups))
	for i, g := range groups {
		p, _ := json.Marshal(notification{Replica: replica, Batch: batch, Part: i, Parts: len(groups), Changes: g})
		if len(p) > notifyMaxPayload {
			return overflow() // cannot happen: the envelope is bounded
		}
		out[i] = string(p)
	}
	return out
}

// notify sends the changes of a committed write to the other replicas.
// Best effort: a failure is logged, and the write stands.
func (s *Store) notify(changes []catalog.Change) {
	s.feed.mu.Lock()
	s.feed.bridge.batch++
	batch := s.feed.bridge.batch
	s.feed.mu.Unlock()
	payloads := encodeNotifications(s.replicaID(), batch, changes)
	ctx, cancel := context.WithTimeout(context.Background(), notifyTimeout)
	defer cancel()
	// One statement: the parts are queued in order by one implicit
	// transaction, so they reach every listener together and in order.
	_, err := s.db.SQL.ExecContext(ctx, "SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p", notifyChannel, payloads)
	if err != nil {
		slog.Default().Warn("change feed: notifying other replicas failed; their subscribers miss this commit", "changes", len(changes), "err", err)
	}
}

// listener is one running LISTEN loop.
type listener struct {
	cancel    context.CancelFunc
	ready     chan struct{} // closed when LISTEN first succeeds, or the listener ends
	readyOnce sync.Once
	done      chan struct{} // closed when the goroutine has returned
}

func (l *listener) markReady() { l.readyOnce.Do(func() { close(l.ready) }) }

// startListenerLocked starts the listener unless one runs or the Store is
// closed; it returns what to wait on before the subscriber can count on
// hearing of other replicas' commits. Called with feed.mu held.
func (s *Store) startListenerLocked() <-chan struct{} {
	if s.feed.closed {
		return nil
	}
	if s.feed.lis == nil {
		ctx, cancel := context.WithCancel(context.Background())
		l := &listener{cancel: cancel, ready: make(chan struct{}), done: make(chan struct{})}
		s.feed.lis = l
		s.feed.listeners.Add(1)
		go s.listen(ctx, l)
	}
	return s.feed.lis.ready
}

// stopListenerLocked stops the listener, if any, without waiting for it.
// Called with feed.mu held.
func (s *Store) stopListenerLocked() {
	if s.feed.lis != nil {
		s.feed.lis.cancel()
		s.feed.lis = nil
	}
}

// closeFeed stops the listener for good and waits for it to end.
func (s *Store) closeFeed() {
	s.feed.mu.Lock()
	s.feed.closed = true
	s.stopListenerLocked()
	s.feed.mu.Unlock()
	s.feed.listeners.Wait()
}

// waitReady waits a while for the listener's first LISTEN: a subscriber
// then hears of every remote commit after SubscribeChanges returns. If the
// database cannot be reached in time, it goes on; the listener keeps
// trying, and says Overflow once it is connected.
func waitReady(ready <-chan struct{}) {
	t := time.NewTimer(listenReadyWait)
	defer t.Stop()
	select {
	case <-ready:
	case <-t.C:
	}
}

// listen runs the listener until ctx is cancelled, reconnecting with
// backoff.
func (s *Store) listen(ctx context.Context, l *listener) {
	defer s.feed.listeners.Done()
	defer close(l.done)
	defer l.markReady()
	backoff := listenBackoff
	lost := false
	for {
		connected, err := s.listenOnce(ctx, l, lost)
		if ctx.Err() != nil {
			return
		}
		if connected {
			backoff = listenBackoff
		}
		slog.Default().Warn("change feed: listener connection lost, reconnecting; other replicas' changes are missed meanwhile", "retryIn", backoff, "err", err)
		lost = true
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(backoff*2, listenBackoffMx)
	}
}

// listenConfig returns the settings of the pool's connections, read once
// from one of them: database.DB does not keep its DSN.
func (s *Store) listenConfig(ctx context.Context) (*pgx.ConnConfig, error) {
	s.feed.mu.Lock()
	cfg := s.feed.bridge.cfg
	s.feed.mu.Unlock()
	if cfg == nil {
		conn, err := s.db.SQL.Conn(ctx)
		if err != nil {
			return nil, err
		}
		err = conn.Raw(func(driverConn any) error {
			c, ok := driverConn.(*stdlib.Conn)
			if !ok {
				return errors.New("not a pgx connection")
			}
			cfg = c.Conn().Config()
			return nil
		})
		_ = conn.Close()
		if err != nil {
			return nil, err
		}
		// The copy still points at the pool connection's notification
		// buffer: the new connection must fill its own.
		cfg.OnNotification = nil
		if cfg.RuntimeParams == nil {
			cfg.RuntimeParams = map[string]string{}
		}
		cfg.RuntimeParams["application_name"] = listenAppName
		s.feed.mu.Lock()
		s.feed.bridge.cfg = cfg
		s.feed.mu.Unlock()
	}
	return cfg.Copy(), nil
}

// listenOnce connects, listens and delivers notifications until the
// connection fails or ctx is cancelled. connected says LISTEN succeeded;
// lost says notifications may have been missed before it.
func (s *Store) listenOnce(ctx context.Context, l *listener, lost bool) (connected bool, err error) {
	cfg, err := s.listenConfig(ctx)
	if err != nil {
		return false, fmt.Errorf("connection settings: %w", err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false, fmt.Errorf("connect: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return false, fmt.Errorf("listen: %w", err)
	}
	l.markReady()
	if lost {
		s.deliver(nil, true)
	}
	asm := assembler{replica: s.replicaID(), pending: map[string]*partial{}}
	for {
		wctx, cancel := context.WithTimeout(ctx, listenIdlePing)
		n, err := conn.WaitForNotification(wctx)
		idle := wctx.Err() != nil
		cancel()
		if n != nil {
			if changes, overflow, ok := asm.add(n.Payload); ok {
				s.deliver(changes, overflow)
			}
		}
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			return true, ctx.Err()
		}
		if !idle {
			return true, err
		}
		// Quiet for a while: make sure the connection is still there
		// (a dead peer does not always reset it).
		pctx, cancel := context.WithTimeout(ctx, notifyTimeout)
		err = conn.Ping(pctx)
		cancel()
		if err != nil {
			return true, fmt.Errorf("ping: %w", err)
		}
	}
}

// assembler turns notifications back into the batches of other replicas'
// commits.
type assembler struct {
	replica string // ours: skipped
	pending map[string]*partial
	// overflow: a notification was unreadable or a part went missing;
	// the next batch delivered says so.
	overflow bool
}

type partial struct {
	batch   uint64
	next    int
	changes []catalog.Change
}

// add reads one payload and returns the batch to deliver, if it completes
// one.
func (a *assembler) add(payload string) (changes []catalog.Change, overflow, ok bool) {
	var n notification
	if err := json.Unmarshal([]byte(payload), &n); err != nil || n.Replica == "" {
		slog.Default().Warn("change feed: unreadable notification", "channel", notifyChannel, "bytes", len(payload))
		a.overflow = true
		return nil, false, false
	}
	if n.Replica == a.replica {
		return nil, false, false
	}
	if n.Overflow {
		delete(a.pending, n.Replica)
		a.overflow = false
		return nil, true, true
	}
	p := a.pending[n.Replica]
	if n.Part == 0 {
		if p != nil {
			a.overflow = true // the rest of the previous batch never came
		}
		p = &partial{batch: n.Batch, changes: make([]catalog.Change, 0, len(n.Changes))}
		a.pending[n.Replica] = p
	} else if p == nil || p.batch != n.Batch || p.next != n.Part {
		delete(a.pending, n.Replica)
		a.overflow = true
		return nil, false, false
	}
	for _, e := range n.Changes {
		if len(e) < 2 || (e[0] != '+' && e[0] != '-') {
			continue
		}
		p.changes = append(p.changes, change(e[1:], e[0] == '-'))
	}
	p.next++
	if p.next < max(n.Parts, 1) {
		return nil, false, false
	}
	delete(a.pending, n.Replica)
	overflow, a.overflow = a.overflow, false
	return p.changes, overflow, true
}
