package entstore

import (
	"strings"
	"sync"

	"github.com/pont-dev/pont/catalog"
)

// feed fans committed changes out to subscribers. The writes of this Store
// are delivered in-process; on PostgreSQL they are also sent to the other
// replicas sharing the database, and theirs received, with LISTEN/NOTIFY
// (feed_pg.go).
type feed struct {
	mu   sync.Mutex
	subs map[*subscriber]struct{}

	// The PostgreSQL bridge (feed_pg.go), guarded by mu.
	replicaOnce sync.Once
	replica     string    // random id of this Store in its notifications
	lis         *listener // the running listener, nil without subscribers
	closed      bool      // Close was called: no listener starts again
	listeners   sync.WaitGroup
	bridge      pgBridge // connection settings, cached after first use
}

type subscriber struct {
	ch chan catalog.ChangeBatch
	// overflow: a batch was dropped since the last one delivered.
	overflow bool
}

// SubscribeChanges delivers, after each commit of Apply, DeleteEntity or
// DeleteLocation that stored or removed an entity, one batch naming them
// (an entity skipped as unchanged is not named; a commit that changed no
// entity sends nothing). Sending never blocks the writer: a subscriber
// whose channel already holds buffer batches (at least one) misses the
// batch, and the next one it gets has Overflow set. cancel unsubscribes
// and closes the channel; it may be called more than once.
//
// On PostgreSQL the commits of other replicas sharing the database are
// delivered too, a moment later, through LISTEN/NOTIFY (see feed_pg.go):
// the first subscriber starts a listener (one connection, held while
// anyone is subscribed, waited for up to a few seconds here), and a batch
// with Overflow set and possibly no Changes says that remote changes were
// not named (a commit of more than notifyMaxChanges entities, or a lost
// listener connection): re-read.
func (s *Store) SubscribeChanges(buffer int) (<-chan catalog.ChangeBatch, func()) {
	sub := &subscriber{ch: make(chan catalog.ChangeBatch, max(buffer, 1))}
	s.feed.mu.Lock()
	if s.feed.subs == nil {
		s.feed.subs = map[*subscriber]struct{}{}
	}
	s.feed.subs[sub] = struct{}{}
	var ready <-chan struct{}
	if s.pg {
		ready = s.startListenerLocked()
	}
	s.feed.mu.Unlock()
	if ready != nil {
		waitReady(ready)
	}
	var once sync.Once
	return sub.ch, func() {
		once.Do(func() {
			s.feed.mu.Lock()
			delete(s.feed.subs, sub)
			close(sub.ch)
			if len(s.feed.subs) == 0 {
				s.stopListenerLocked()
			}
			s.feed.mu.Unlock()
		})
	}
}

// publish sends the changes of one commit to every subscriber, then, on
// PostgreSQL, to the other replicas.
func (s *Store) publish(changes []catalog.Change) {
	if len(changes) == 0 {
		return
	}
	s.deliver(changes, false)
	if s.pg {
		s.notify(changes)
	}
}

// deliver fans one batch out to the local subscribers without blocking;
// overflow flags it for everyone (changes were not named).
func (s *Store) deliver(changes []catalog.Change, overflow bool) {
	if len(changes) == 0 && !overflow {
		return
	}
	s.feed.mu.Lock()
	defer s.feed.mu.Unlock()
	for sub := range s.feed.subs {
		// Subscribers share the slice: it is never written after this.
		b := catalog.ChangeBatch{Changes: changes, Overflow: overflow || sub.overflow}
		select {
		case sub.ch <- b:
			sub.overflow = false
		default:
			sub.overflow = true
		}
	}
}

// change names an entity by its ref key (kind:namespace/name).
func change(key string, removed bool) catalog.Change {
	kind, _, _ := strings.Cut(key, ":")
	return catalog.Change{Key: key, Kind: kind, Removed: removed}
}
