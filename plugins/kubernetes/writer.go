package kubernetes

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/internal/auth/principal"
)

// writer feeds the inventory into the catalog, one provider per cluster
// ("kubernetes:<cluster>"): a full mutation after each (re)sync — what the
// cluster no longer has leaves the catalog — and, between those, delta
// mutations of the entities that changed, batched over the batch interval
// so that a burst of status updates costs one transaction.
type writer struct {
	p *Plugin

	mu    sync.Mutex
	dirty map[string]map[string]bool // entity refs to rewrite, by cluster
	full  map[string]bool            // clusters to write in full
	wake  chan struct{}
}

func newWriter(p *Plugin) *writer {
	return &writer{p: p, dirty: map[string]map[string]bool{}, full: map[string]bool{}, wake: make(chan struct{}, 1)}
}

// ProviderName is the catalog provider of a cluster's entities.
func ProviderName(cluster string) string { return "kubernetes:" + cluster }

func (wr *writer) mark(cluster, ref string) {
	wr.mu.Lock()
	if wr.dirty[cluster] == nil {
		wr.dirty[cluster] = map[string]bool{}
	}
	wr.dirty[cluster][ref] = true
	wr.mu.Unlock()
}

func (wr *writer) markCluster(cluster string) {
	wr.mark(cluster, wr.p.clusterRef(cluster).String())
}

func (wr *writer) requestFull(cluster string) {
	wr.mu.Lock()
	wr.full[cluster] = true
	wr.mu.Unlock()
	select {
	case wr.wake <- struct{}{}:
	default:
	}
	if wr.p.store == nil {
		if w := wr.p.watch(cluster); w != nil {
			w.markWritten()
		}
	}
}

// forget removes a cluster's entities with an empty full mutation.
func (wr *writer) forget(cluster string) { wr.requestFull(cluster) }

func (wr *writer) run(ctx context.Context) {
	tick := time.NewTicker(wr.p.cfg.BatchInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-wr.wake:
		}
		wr.flush(ctx)
	}
}

// flush writes what is pending.
func (wr *writer) flush(ctx context.Context) {
	wr.mu.Lock()
	dirty, full := wr.dirty, wr.full
	wr.dirty, wr.full = map[string]map[string]bool{}, map[string]bool{}
	wr.mu.Unlock()
	for cluster := range full {
		// A full write says "this is all there is": before the cluster's
		// first sync Pont does not know that yet, and writes deltas only.
		// (A cluster that was removed has no state: its full write is
		// empty, and removes its entities.)
		if known, synced := wr.p.inv.synced(cluster); known && !synced {
			continue
		}
		delete(dirty, cluster)
		if err := wr.write(ctx, cluster, true, nil); err != nil {
			wr.p.log.Warn("kubernetes full write failed; retrying", "cluster", cluster, "err", err)
			wr.mu.Lock()
			wr.full[cluster] = true
			wr.mu.Unlock()
			continue
		}
		if w := wr.p.watch(cluster); w != nil {
			w.markWritten()
		}
	}
	for cluster, refs := range dirty {
		if err := wr.write(ctx, cluster, false, refs); err != nil {
			wr.p.log.Warn("kubernetes delta write failed; retrying", "cluster", cluster, "err", err)
			for ref := range refs {
				wr.mark(cluster, ref)
			}
		}
	}
}

// write sends one mutation: every entity of the cluster (full), or those
// named by refs (delta; a ref with no entity any more is removed).
func (wr *writer) write(ctx context.Context, cluster string, full bool, refs map[string]bool) error {
	entities := wr.p.inv.entities(cluster, func(ref string) bool { return full || refs[ref] })
	prepared := make([]*catalog.Prepared, 0, len(entities))
	present := map[string]bool{}
	source := "kubernetes:" + cluster
	for _, e := range entities {
		ref := e.Ref().String()
		pr, err := catalog.Prepare(e, source, source)
		if err != nil {
			wr.p.log.Warn("kubernetes entity not written", "entity", ref, "err", err)
			continue
		}
		present[ref] = true
		prepared = append(prepared, pr)
	}
	m := &catalog.Mutation{
		Provider:   ProviderName(cluster),
		Full:       full,
		Replayable: true,
		ErrorKey:   wr.p.clusterRef(cluster).Key(),
		Entities: func(yield func(*catalog.Prepared) bool) {
			for _, pr := range prepared {
				if !yield(pr) {
					return
				}
			}
		},
	}
	if !full {
		for ref := range refs {
			if !present[ref] {
				m.Removed = append(m.Removed, strings.ToLower(ref))
			}
		}
	}
	start := time.Now()
	res, err := wr.p.store.Apply(principal.SystemContext(ctx), m)
	if err == nil && full {
		wr.p.log.Info("kubernetes cluster written to the catalog", "cluster", cluster, "entities", len(prepared),
			"inserted", res.Inserted, "updated", res.Updated, "removed", res.Removed, "duration", time.Since(start).Round(time.Millisecond))
	}
	return err
}
