package catalog

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Runner keeps the catalog fresh: it refreshes every location at start and
// on an interval, at once when asked (a location registered or an entity
// refreshed through the API), and, for file locations, within moments of a
// file changing, by watching the folders of every file they read.
type Runner struct {
	p       *Processor
	trigger chan string // location id
	wake    chan struct{}

	mu      sync.Mutex
	changed map[string]map[string]bool // location id -> changed files
	watched map[string]bool            // folders watched
	byFile  map[string]map[string]bool // file -> location ids
}

// NewRunner returns a runner for the processor.
func NewRunner(p *Processor) *Runner {
	return &Runner{
		p: p, trigger: make(chan string, 64), wake: make(chan struct{}, 1),
		changed: map[string]map[string]bool{}, watched: map[string]bool{}, byFile: map[string]map[string]bool{},
	}
}

// Trigger asks for a full refresh of a location soon.
func (r *Runner) Trigger(id string) {
	select {
	case r.trigger <- id:
	default:
		// The queue is full of refreshes; the interval will catch up.
	}
}

// Run refreshes until ctx ends.
func (r *Runner) Run(ctx context.Context) error {
	log := r.p.log
	watcher, err := fsnotify.NewWatcher()
	if err != nil {
		log.Warn("file watching is off; file locations refresh on the interval only", "err", err)
	} else {
		defer watcher.Close()
		go r.watch(ctx, watcher)
	}
	refreshAll := func() {
		locs, err := r.p.store.Locations(ctx)
		if err != nil {
			log.Error("list locations", "err", err)
			return
		}
		for _, l := range locs {
			if ctx.Err() != nil {
				return
			}
			r.refresh(ctx, watcher, l)
		}
	}
	refreshAll()
	ticker := time.NewTicker(r.p.cfg.RefreshInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
			refreshAll()
		case id := <-r.trigger:
			l, err := r.p.store.Location(ctx, id)
			if errors.Is(err, ErrNotFound) {
				r.p.Forget(id)
				continue
			}
			if err != nil {
				log.Error("read location", "location", id, "err", err)
				continue
			}
			r.refresh(ctx, watcher, l)
		case <-r.wake:
			r.applyChanges(ctx)
		}
	}
}

func (r *Runner) refresh(ctx context.Context, watcher *fsnotify.Watcher, l Location) {
	if _, err := r.p.Refresh(ctx, l); err != nil && ctx.Err() == nil {
		r.p.log.Error("refresh location", "location", l.ID, "err", err)
	}
	if watcher != nil && l.Type == "file" {
		r.watchLocation(watcher, l)
	}
}

// watchLocation watches the folders of every file the location read. A
// file that changed after the read began but before its folder was watched
// would be missed, so those are queued as changed at once.
func (r *Runner) watchLocation(watcher *fsnotify.Watcher, l Location) {
	r.p.mu.Lock()
	lf := r.p.files[l.ID]
	var files []string
	var readAt time.Time
	if lf != nil {
		for f := range lf.files {
			files = append(files, f)
		}
		readAt = lf.readAt
	}
	r.p.mu.Unlock()
	defer func() {
		stale := false
		for _, f := range files {
			if st, err := os.Stat(f); err != nil || !st.ModTime().Before(readAt) {
				r.mu.Lock()
				if r.changed[l.ID] == nil {
					r.changed[l.ID] = map[string]bool{}
				}
				r.changed[l.ID][f] = true
				r.mu.Unlock()
				stale = true
			}
		}
		if stale {
			select {
			case r.wake <- struct{}{}:
			default:
			}
		}
	}()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, f := range files {
		if r.byFile[f] == nil {
			r.byFile[f] = map[string]bool{}
		}
		r.byFile[f][l.ID] = true
		dir := filepath.Dir(f)
		if !r.watched[dir] {
			if err := watcher.Add(dir); err != nil {
				r.p.log.Warn("watch folder", "dir", dir, "err", err)
				continue
			}
			r.watched[dir] = true
		}
	}
}

// watch turns file events into queued changes, coalesced for a short
// moment so an editor's write-rename-chmod burst is one refresh.
func (r *Runner) watch(ctx context.Context, w *fsnotify.Watcher) {
	const settle = 25 * time.Millisecond
	var timer *time.Timer
	for {
		select {
		case <-ctx.Done():
			return
		case err, ok := <-w.Errors:
			if !ok {
				return
			}
			r.p.log.Warn("file watch", "err", err)
		case ev, ok := <-w.Events:
			if !ok {
				return
			}
			if ev.Op == fsnotify.Chmod {
				continue
			}
			path := filepath.Clean(ev.Name)
			r.mu.Lock()
			locs := r.byFile[path]
			for id := range locs {
				if r.changed[id] == nil {
					r.changed[id] = map[string]bool{}
				}
				r.changed[id][path] = true
			}
			r.mu.Unlock()
			if len(locs) == 0 {
				continue
			}
			if timer == nil {
				timer = time.AfterFunc(settle, func() {
					select {
					case r.wake <- struct{}{}:
					default:
					}
				})
			} else {
				timer.Reset(settle)
			}
		}
	}
}

func (r *Runner) applyChanges(ctx context.Context) {
	r.mu.Lock()
	changed := r.changed
	r.changed = map[string]map[string]bool{}
	r.mu.Unlock()
	for id, files := range changed {
		l, err := r.p.store.Location(ctx, id)
		if err != nil {
			continue
		}
		paths := make([]string, 0, len(files))
		for f := range files {
			paths = append(paths, f)
		}
		if _, err := r.p.RefreshSources(ctx, l, paths); err != nil && ctx.Err() == nil {
			r.p.log.Error("refresh changed files", "location", id, "err", err)
		}
	}
}
