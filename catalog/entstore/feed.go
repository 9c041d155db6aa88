package entstore

import (
	"strings"
	"sync"

	"github.com/pont-dev/pont/catalog"
)

// feed fans committed changes out to subscribers. It is in-process: a
// subscriber sees the writes of this Store only, not those of another
// replica on the same PostgreSQL (a LISTEN/NOTIFY bridge is future work).
type feed struct {
	mu   sync.Mutex
	subs map[*subscriber]struct{}
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
// Only writes through this Store are seen: other replicas sharing a
// PostgreSQL database do not feed it.
func (s *Store) SubscribeChanges(buffer int) (<-chan catalog.ChangeBatch, func()) {
	sub := &subscriber{ch: make(chan catalog.ChangeBatch, max(buffer, 1))}
	s.feed.mu.Lock()
	if s.feed.subs == nil {
		s.feed.subs = map[*subscriber]struct{}{}
	}
	s.feed.subs[sub] = struct{}{}
	s.feed.mu.Unlock()
	var once sync.Once
	return sub.ch, func() {
		once.Do(func() {
			s.feed.mu.Lock()
			delete(s.feed.subs, sub)
			close(sub.ch)
			s.feed.mu.Unlock()
		})
	}
}

// publish sends the changes of one commit to every subscriber.
func (s *Store) publish(changes []catalog.Change) {
	if len(changes) == 0 {
		return
	}
	s.feed.mu.Lock()
	defer s.feed.mu.Unlock()
	for sub := range s.feed.subs {
		// Subscribers share the slice: it is never written after this.
		b := catalog.ChangeBatch{Changes: changes, Overflow: sub.overflow}
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
