package entstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/internal/database"
	"github.com/pont-dev/pont/internal/testutil/dbtest"
	"github.com/pont-dev/pont/internal/testutil/pgtest"
)

// The LISTEN/NOTIFY bridge of the change feed (feed_pg.go). The package's
// TestMain (entstore_test.go) runs pgtest.Main.

const feedWait = 5 * time.Second

// replicas opens two Stores on one PostgreSQL database, as two Pont
// replicas would, each closed when the test ends.
func replicas(t *testing.T) (a, b *Store) {
	t.Helper()
	cfg := database.Config{Driver: "postgres", DSN: pgtest.DSN(t), MaxOpenConns: 4}
	a, b = New(dbtest.Open(t, cfg)), New(dbtest.Open(t, cfg))
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

func feedEntity(t *testing.T, name, owner string) *catalog.Prepared {
	t.Helper()
	e := &catalog.Entity{
		APIVersion: "backstage.io/v1alpha1",
		Kind:       "Component",
		Metadata:   catalog.Metadata{Name: name, Namespace: "default"},
		Spec:       map[string]any{"type": "service", "lifecycle": "production", "owner": owner},
	}
	p, err := catalog.Prepare(e, "file:/"+name+".yaml", "file:/root.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func feedApply(t *testing.T, s *Store, provider string, ps ...*catalog.Prepared) {
	t.Helper()
	m := &catalog.Mutation{Provider: provider, Full: true, Entities: slices.Values(ps), ErrorKey: "location:default/root"}
	if _, err := s.Apply(context.Background(), m); err != nil {
		t.Fatalf("apply: %v", err)
	}
}

func nextBatch(t *testing.T, ch <-chan catalog.ChangeBatch) catalog.ChangeBatch {
	t.Helper()
	select {
	case b, ok := <-ch:
		if !ok {
			t.Fatal("feed closed")
		}
		return b
	case <-time.After(feedWait):
		t.Fatal("no batch within " + feedWait.String())
	}
	return catalog.ChangeBatch{}
}

// noBatch fails if a batch arrives within a while.
func noBatch(t *testing.T, what string, ch <-chan catalog.ChangeBatch) {
	t.Helper()
	select {
	case b := <-ch:
		t.Fatalf("%s: unexpected batch %v (overflow %v)", what, describe(b.Changes), b.Overflow)
	case <-time.After(300 * time.Millisecond):
	}
}

func describe(changes []catalog.Change) []string {
	out := make([]string, len(changes))
	for i, c := range changes {
		verb := "stored"
		if c.Removed {
			verb = "removed"
		}
		out[i] = verb + " " + c.Kind + " " + c.Key
	}
	return out
}

func sameChanges(t *testing.T, what string, b catalog.ChangeBatch, want ...string) {
	t.Helper()
	if got := describe(b.Changes); !slices.Equal(got, want) || b.Overflow {
		t.Fatalf("%s: got %v (overflow %v), want %v", what, got, b.Overflow, want)
	}
}

// listenerBackends counts the listener connections on the test's database.
func listenerBackends(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	err := s.db.SQL.QueryRow("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1", listenAppName).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(feedWait)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal(what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestFeedAcrossReplicas(t *testing.T) {
	a, b := replicas(t)
	ctx := context.Background()
	onA, cancelA := a.SubscribeChanges(16)
	defer cancelA()
	onB, cancelB := b.SubscribeChanges(16)
	defer cancelB()

	feedApply(t, a, "p1", feedEntity(t, "x", "team"), feedEntity(t, "y", "team"))
	sameChanges(t, "insert on A", nextBatch(t, onA), "stored component component:default/x", "stored component component:default/y")
	sameChanges(t, "insert on B", nextBatch(t, onB), "stored component component:default/x", "stored component component:default/y")

	feedApply(t, a, "p1", feedEntity(t, "x", "other"), feedEntity(t, "y", "team"))
	sameChanges(t, "update on A", nextBatch(t, onA), "stored component component:default/x")
	sameChanges(t, "update on B", nextBatch(t, onB), "stored component component:default/x")

	feedApply(t, a, "p1", feedEntity(t, "x", "other")) // y is an orphan
	sameChanges(t, "removal on A", nextBatch(t, onA), "removed component component:default/y")
	sameChanges(t, "removal on B", nextBatch(t, onB), "removed component component:default/y")

	x, err := a.EntityByKey(ctx, "component:default/x")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.DeleteEntity(ctx, x.UID); err != nil {
		t.Fatal(err)
	}
	sameChanges(t, "delete through B on B", nextBatch(t, onB), "removed component component:default/x")
	sameChanges(t, "delete through B on A", nextBatch(t, onA), "removed component component:default/x")

	// Each replica delivered its own writes once: in-process, not again
	// when its notification came back.
	noBatch(t, "A", onA)
	noBatch(t, "B", onB)
}

func TestFeedSplitsLargePayloads(t *testing.T) {
	a, b := replicas(t)
	onB, cancelB := b.SubscribeChanges(16)
	defer cancelB()

	// 120 names of 63 characters: about 10,000 bytes of keys, more than
	// one notification holds.
	var ps []*catalog.Prepared
	var want []string
	var changes []catalog.Change
	for i := range 120 {
		name := fmt.Sprintf("c%03d-%s", i, strings.Repeat("n", 58))
		ps = append(ps, feedEntity(t, name, "team"))
		want = append(want, "stored component component:default/"+name)
		changes = append(changes, change("component:default/"+name, false))
	}
	if n := len(encodeNotifications(a.replicaID(), 1, changes)); n < 2 {
		t.Fatalf("%d notification(s), want the batch split", n)
	}
	feedApply(t, a, "p1", ps...)
	got := nextBatch(t, onB)
	slices.Sort(want)
	gotList := describe(got.Changes)
	slices.Sort(gotList)
	if !slices.Equal(gotList, want) || got.Overflow {
		t.Fatalf("B got %d changes (overflow %v), want the %d of the commit in one batch", len(got.Changes), got.Overflow, len(want))
	}
	noBatch(t, "B", onB)
}

func TestFeedLargeCommitOverflows(t *testing.T) {
	a, b := replicas(t)
	onA, cancelA := a.SubscribeChanges(4)
	defer cancelA()
	onB, cancelB := b.SubscribeChanges(4)
	defer cancelB()

	ps := make([]*catalog.Prepared, notifyMaxChanges+1)
	for i := range ps {
		ps[i] = feedEntity(t, fmt.Sprintf("bulk-%05d", i), "team")
	}
	feedApply(t, a, "bulk", ps...)
	if got := nextBatch(t, onA); len(got.Changes) != len(ps) || got.Overflow {
		t.Fatalf("A got %d changes (overflow %v), want all %d", len(got.Changes), got.Overflow, len(ps))
	}
	if got := nextBatch(t, onB); len(got.Changes) != 0 || !got.Overflow {
		t.Fatalf("B got %d changes (overflow %v), want an overflow", len(got.Changes), got.Overflow)
	}
	// Smaller commits are named again.
	feedApply(t, a, "small", feedEntity(t, "after", "team"))
	sameChanges(t, "after the overflow", nextBatch(t, onB), "stored component component:default/after")
}

func TestFeedReconnects(t *testing.T) {
	a, b := replicas(t)
	onB, cancelB := b.SubscribeChanges(16)
	defer cancelB()
	var killed int
	err := a.db.SQL.QueryRow("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1", listenAppName).Scan(&killed)
	if err != nil || killed != 1 {
		t.Fatalf("terminated %d listeners (%v), want 1", killed, err)
	}
	// Back: the subscriber is told it may have missed changes...
	if got := nextBatch(t, onB); len(got.Changes) != 0 || !got.Overflow {
		t.Fatalf("after reconnecting: %v (overflow %v), want an overflow", describe(got.Changes), got.Overflow)
	}
	// ...and hears of new ones.
	feedApply(t, a, "p1", feedEntity(t, "x", "team"))
	sameChanges(t, "after reconnecting", nextBatch(t, onB), "stored component component:default/x")
}

func TestFeedListenerLifecycle(t *testing.T) {
	a, b := replicas(t)
	if n := listenerBackends(t, a); n != 0 {
		t.Fatalf("%d listeners before any subscriber", n)
	}
	// The last subscriber's cancel stops the listener.
	_, cancel1 := b.SubscribeChanges(1)
	_, cancel2 := b.SubscribeChanges(1)
	b.feed.mu.Lock()
	l := b.feed.lis
	b.feed.mu.Unlock()
	if l == nil || listenerBackends(t, a) != 1 {
		t.Fatal("no listener with subscribers")
	}
	cancel1()
	select {
	case <-l.done:
		t.Fatal("listener stopped with a subscriber left")
	case <-time.After(100 * time.Millisecond):
	}
	cancel2()
	select {
	case <-l.done:
	case <-time.After(feedWait):
		t.Fatal("listener still running after the last cancel")
	}
	eventually(t, "listener connection left open", func() bool { return listenerBackends(t, a) == 0 })

	// Close stops it and waits for it; no listener starts after.
	ch, cancel := b.SubscribeChanges(1)
	defer cancel()
	b.feed.mu.Lock()
	l = b.feed.lis
	b.feed.mu.Unlock()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-l.done:
	default:
		t.Fatal("Close returned with the listener running")
	}
	eventually(t, "listener connection left open after Close", func() bool { return listenerBackends(t, a) == 0 })
	_, cancel3 := b.SubscribeChanges(1)
	defer cancel3()
	if b.feed.lis != nil {
		t.Fatal("a listener started after Close")
	}
	// The closed Store's subscriber no longer hears other replicas.
	feedApply(t, a, "p1", feedEntity(t, "x", "team"))
	noBatch(t, "closed B", ch)
}

// Without a database: payloads stay under the limit and reassemble.
func TestFeedNotificationCodec(t *testing.T) {
	var changes []catalog.Change
	for i := range 1500 {
		changes = append(changes, change(fmt.Sprintf("component:default/é<&>-%04d-%s", i, strings.Repeat("z", 40)), i%3 == 0))
	}
	payloads := encodeNotifications("them", 7, changes)
	if len(payloads) < 10 {
		t.Fatalf("%d payloads", len(payloads))
	}
	asm := assembler{replica: "us", pending: map[string]*partial{}}
	for i, p := range payloads {
		if len(p) > notifyMaxPayload {
			t.Fatalf("payload %d: %d bytes", i, len(p))
		}
		got, overflow, ok := asm.add(p)
		if ok != (i == len(payloads)-1) {
			t.Fatalf("payload %d: complete = %v", i, ok)
		}
		if ok && (overflow || !slices.Equal(got, changes)) {
			t.Fatalf("reassembled %d changes (overflow %v), want %d", len(got), overflow, len(changes))
		}
	}
	// Our own notifications are skipped.
	for _, p := range encodeNotifications("us", 1, changes[:3]) {
		if _, _, ok := asm.add(p); ok {
			t.Fatal("own notification delivered")
		}
	}
	// Too many changes: one overflow notification.
	big := make([]catalog.Change, notifyMaxChanges+1)
	for i := range big {
		big[i] = change(fmt.Sprintf("component:default/b%d", i), false)
	}
	payloads = encodeNotifications("them", 8, big)
	if len(payloads) != 1 {
		t.Fatalf("%d payloads for an overflow", len(payloads))
	}
	if got, overflow, ok := asm.add(payloads[0]); !ok || !overflow || len(got) != 0 {
		t.Fatalf("overflow notification: %v %v %v", got, overflow, ok)
	}
	// A missing part: the next batch says overflow.
	parts := encodeNotifications("them", 9, changes)
	asm.add(parts[0])
	for _, p := range parts[2:] {
		if _, _, ok := asm.add(p); ok {
			t.Fatal("incomplete batch delivered")
		}
	}
	got, overflow, ok := asm.add(encodeNotifications("them", 10, changes[:1])[0])
	if !ok || !overflow || len(got) != 1 {
		t.Fatalf("after a lost part: %v %v %v", got, overflow, ok)
	}
	if _, _, ok := asm.add("not json"); ok {
		t.Fatal("garbage delivered")
	}
}
