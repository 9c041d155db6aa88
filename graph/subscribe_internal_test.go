package graph

import (
	"context"
	"testing"
	"time"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/graph/model"
	"github.com/pont-dev/pont/internal/auth/principal"
)

// feedStore is a catalog store whose change feed the test drives; only
// SubscribeChanges is used.
type feedStore struct {
	catalog.Store
	ch chan catalog.ChangeBatch
}

func (f *feedStore) SubscribeChanges(int) (<-chan catalog.ChangeBatch, func()) {
	return f.ch, func() {}
}

// TestWatchEntitiesSaysResync: a batch that says changes were missed
// (Overflow) reaches the subscriber as one RESYNC event, before the
// changes the batch still lists; removals of kinds the subscriber may not
// read are not delivered.
func TestWatchEntitiesSaysResync(t *testing.T) {
	store := &feedStore{ch: make(chan catalog.ChangeBatch, 2)}
	r := &Resolver{deps: Deps{Store: store}}
	p := &principal.Principal{Kind: principal.Session, Subject: "t|1", ReadKinds: []string{"component"}}
	ctx, cancel := context.WithCancel(principal.NewContext(context.Background(), p))
	defer cancel()
	events, err := r.watchEntities(ctx, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	store.ch <- catalog.ChangeBatch{Overflow: true, Changes: []catalog.Change{
		{Key: "group:default/hidden", Kind: "group", Removed: true},
		{Key: "component:default/gone", Kind: "component", Removed: true},
	}}
	want := []model.EntityChange{
		{Type: model.EntityChangeTypeResync},
		{Type: model.EntityChangeTypeRemoved, Ref: "component:default/gone", Kind: "component"},
	}
	for i, w := range want {
		select {
		case got := <-events:
			if got.Type != w.Type || got.Ref != w.Ref || got.Kind != w.Kind {
				t.Fatalf("event %d = %+v, want %+v", i, *got, w)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("event %d never came", i)
		}
	}
	select {
	case got := <-events:
		t.Fatalf("an event too many: %+v", *got)
	case <-time.After(100 * time.Millisecond):
	}
}
