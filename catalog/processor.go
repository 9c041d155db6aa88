package catalog

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"runtime"
	"strings"
	"sync"
	"time"
)

// Annotations Pont sets on every entity a location provides, as Backstage does.
const (
	AnnotationManagedByLocation       = "backstage.io/managed-by-location"
	AnnotationManagedByOriginLocation = "backstage.io/managed-by-origin-location"
	// AnnotationOrphan marks an entity its location no longer provides,
	// kept because catalog.orphans is "keep".
	AnnotationOrphan = "backstage.io/orphan"
)

// Rule allows kinds, for every location or only for the listed ones (like
// Backstage's catalog.rules). Kinds outside the builtins become accepted
// too.
type Rule struct {
	Allow     []string        `yaml:"allow"`
	Locations []LocationMatch `yaml:"locations"`
}

// LocationMatch selects locations by type and a target pattern (path.Match
// syntax; empty matches any).
type LocationMatch struct {
	Type   string `yaml:"type"`
	Target string `yaml:"target"`
}

// DefaultRules are used when none are configured: every builtin kind except
// User and Group, which grant membership and so come only from locations an
// operator lists in a rule of their own.
func DefaultRules() []Rule {
	return []Rule{{Allow: []string{"Component", "API", "Resource", "System", "Domain", "Location", "Template"}}}
}

// ProcessorConfig tunes the processing engine.
type ProcessorConfig struct {
	// RefreshInterval is how often every location is read again in full.
	RefreshInterval time.Duration
	// KeepOrphans flags entities a provider no longer emits instead of
	// deleting them.
	KeepOrphans bool
	// Rules say which kinds each location may provide.
	Rules []Rule
	// Limits bound every file parsed.
	Limits Limits
	// Workers read and parse files in parallel. Default: 2 × CPUs.
	Workers int
}

// Processor is the catalog's processing engine: it reads locations, checks
// and prepares their entities and hands mutations to the store. Nothing
// else writes catalog entities.
type Processor struct {
	store  Store
	reader *Reader
	cfg    ProcessorConfig
	log    *slog.Logger

	mu    sync.Mutex
	files map[string]*locationFiles // by location id: what the last full read saw
}

// locationFiles remembers which files a location read, so a change to one
// of them can be applied as a delta, and which of them held Location
// entities (a change to those changes the tree, so it needs a full read).
type locationFiles struct {
	loc    Location
	files  map[string]fileInfo // by canonical path
	readAt time.Time           // when the read that saw them started
}

// fileInfo is what a full read learnt about one file.
type fileInfo struct {
	holdsLocations bool   // a change to it can change the tree
	parent         string // ref of the Location entity that named it
}

// NewProcessor builds the engine.
func NewProcessor(store Store, reader *Reader, cfg ProcessorConfig, log *slog.Logger) *Processor {
	if cfg.RefreshInterval <= 0 {
		cfg.RefreshInterval = 2 * time.Minute
	}
	if cfg.Limits == (Limits{}) {
		cfg.Limits = DefaultLimits()
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 2 * runtime.GOMAXPROCS(0)
	}
	if cfg.Rules == nil {
		cfg.Rules = DefaultRules()
	}
	return &Processor{store: store, reader: reader, cfg: cfg, log: log, files: map[string]*locationFiles{}}
}

// Reader is the confined reader the processor uses.
func (p *Processor) Reader() *Reader { return p.reader }

// LocationProvider is the provider key of a registered location.
func LocationProvider(id string) string { return "location:" + id }

// DescribeProvider turns a provider key into words for an error message.
func DescribeProvider(key string) string {
	if id, ok := strings.CutPrefix(key, "location:"); ok {
		return "location " + id
	}
	return "provider " + key
}

// LocationRef is the "type:target" form Backstage uses in annotations.
func LocationRef(typ, target string) string { return typ + ":" + target }

// GeneratedLocationEntity is the Location entity Backstage makes for a
// registered location: named after a hash of its type and target.
func GeneratedLocationEntity(l Location) *Entity {
	ref := LocationRef(l.Type, l.Target)
	sum := sha1.Sum([]byte(ref))
	return &Entity{
		APIVersion: "backstage.io/v1alpha1",
		Kind:       "Location",
		Metadata: Metadata{
			Name:      "generated-" + hex.EncodeToString(sum[:]),
			Namespace: DefaultNamespace,
			Annotations: map[string]string{
				AnnotationManagedByLocation:       ref,
				AnnotationManagedByOriginLocation: ref,
			},
		},
		Spec: map[string]any{"type": l.Type, "target": l.Target, "presence": "required"},
	}
}

// validatorFor builds the validator of a location from the rules.
func (p *Processor) validatorFor(l Location) *Validator {
	v := &Validator{AllowedKinds: []string{}}
	for _, r := range p.cfg.Rules {
		if !ruleMatches(r, l) {
			continue
		}
		for _, k := range r.Allow {
			v.AllowedKinds = append(v.AllowedKinds, k)
			v.ExtraKinds = append(v.ExtraKinds, KindRule{Kind: k})
		}
	}
	return v
}

func ruleMatches(r Rule, l Location) bool {
	if len(r.Locations) == 0 {
		return true
	}
	for _, m := range r.Locations {
		if m.Type != "" && !strings.EqualFold(m.Type, l.Type) {
			continue
		}
		if m.Target == "" {
			return true
		}
		if ok, _ := path.Match(m.Target, l.Target); ok {
			return true
		}
	}
	return false
}

// Prepare readies a validated entity for the store: the location
// annotations, the relations, the search rows, the body and its hash.
func Prepare(e *Entity, source, origin string) (*Prepared, error) {
	if e.Metadata.Annotations == nil {
		e.Metadata.Annotations = map[string]string{}
	}
	if source != "" {
		e.Metadata.Annotations[AnnotationManagedByLocation] = source
	}
	if origin != "" {
		e.Metadata.Annotations[AnnotationManagedByOriginLocation] = origin
	}
	e.Metadata.UID, e.Metadata.Etag, e.Relations = "", "", nil
	// Backstage's DefaultNamespaceEntityPolicy: stored entities always
	// name their namespace.
	if e.Metadata.Namespace == "" {
		e.Metadata.Namespace = DefaultNamespace
	}
	search, err := SearchRows(e)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encode entity: %w", err)
	}
	sum := sha256.Sum256(body)
	ref := e.Ref()
	return &Prepared{
		Ref:       ref,
		Key:       ref.Key(),
		Source:    source,
		Body:      body,
		Hash:      hex.EncodeToString(sum[:16]),
		Search:    search,
		Relations: Relations(e),
	}, nil
}

// ReadResult is what a read of a location found.
type ReadResult struct {
	Entities []*Entity
	Errors   []ProcessingError
}

// DryRun reads a location without storing anything and returns what it
// would provide, or the first error that makes it unusable.
func (p *Processor) DryRun(ctx context.Context, l Location) (*ReadResult, error) {
	if err := p.reader.CheckTarget(l.Type, l.Target); err != nil {
		return nil, err
	}
	res := &ReadResult{}
	var mu sync.Mutex
	c := p.newCrawl(ctx, l, func(e *Entity, _ *Prepared) {
		mu.Lock()
		res.Entities = append(res.Entities, e)
		mu.Unlock()
	})
	c.run()
	res.Errors = c.errs
	return res, nil
}

// ValidateFiles reads, checks and prepares the given files as a file
// location would (placeholders resolved, confined to the reader's roots)
// without following the targets of Location entities in them, and without
// storing anything. It serves `pont validate`.
func (p *Processor) ValidateFiles(ctx context.Context, paths []string) *ReadResult {
	res := &ReadResult{}
	var mu sync.Mutex
	c := p.newCrawl(ctx, Location{ID: "validate", Type: "file"}, func(e *Entity, _ *Prepared) {
		mu.Lock()
		res.Entities = append(res.Entities, e)
		mu.Unlock()
	})
	c.onlySources = true
	c.reportMissing = true
	for _, f := range paths {
		c.enqueue(f, "")
	}
	c.run()
	res.Errors = c.errs
	return res
}

// Refresh reads a location in full and applies it as one full mutation.
func (p *Processor) Refresh(ctx context.Context, l Location) (ApplyResult, error) {
	start := time.Now()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make(chan *Prepared, 512)
	c := p.newCrawl(ctx, l, func(_ *Entity, pr *Prepared) {
		select {
		case out <- pr:
		case <-ctx.Done():
		}
	})
	go func() {
		c.run()
		close(out)
	}()
	m := &Mutation{
		Provider:    LocationProvider(l.ID),
		Full:        true,
		KeepOrphans: p.cfg.KeepOrphans,
		ErrorKey:    GeneratedLocationEntity(l).Ref().Key(),
		Entities: func(yield func(*Prepared) bool) {
			for pr := range out {
				if !yield(pr) {
					cancel()
					for range out {
					}
					return
				}
			}
		},
	}
	// The crawl has finished when Entities is drained: its errors and
	// whether a source failed complete the mutation.
	m.Err = func() error {
		m.Errors = c.errs
		m.SkipOrphans = c.sourceFailed
		return ctx.Err()
	}
	res, err := p.store.Apply(ctx, m)
	p.remember(l, c, start)
	now := time.Now()
	next := now.Add(p.cfg.RefreshInterval)
	state := ProviderState{Provider: m.Provider, LastRefreshAt: &now, NextRefreshAt: &next, EntityCount: res.Inserted + res.Updated + res.Unchanged}
	if err != nil {
		state.LastError = err.Error()
	}
	if serr := p.store.SetProviderState(context.WithoutCancel(ctx), state); serr != nil {
		p.log.Warn("record refresh state", "location", l.ID, "err", serr)
	}
	p.log.Info("location refreshed", "location", l.ID, "target", l.Target, "inserted", res.Inserted, "updated", res.Updated,
		"unchanged", res.Unchanged, "removed", res.Removed, "orphaned", res.Orphaned, "conflicts", res.Conflicts,
		"errors", len(c.errs), "duration", time.Since(start).Round(time.Millisecond), "err", err)
	return res, err
}

// RefreshSources re-reads some files of a location and applies them as a
// delta; a file that holds Location entities (or the root) needs a full
// refresh, which it falls back to.
func (p *Processor) RefreshSources(ctx context.Context, l Location, paths []string) (ApplyResult, error) {
	p.mu.Lock()
	lf := p.files[l.ID]
	full := lf == nil
	if lf != nil {
		for _, f := range paths {
			if fi, ok := lf.files[f]; !ok || fi.holdsLocations {
				full = true
			}
		}
	}
	p.mu.Unlock()
	if full {
		return p.Refresh(ctx, l)
	}
	start := time.Now()
	var prepared []*Prepared
	var mu sync.Mutex
	c := p.newCrawl(ctx, l, func(_ *Entity, pr *Prepared) {
		mu.Lock()
		prepared = append(prepared, pr)
		mu.Unlock()
	})
	c.onlySources = true
	for _, f := range paths {
		c.enqueue(f, lf.files[f].parent)
	}
	c.run()
	sources := make([]string, len(paths))
	for i, f := range paths {
		sources[i] = LocationRef("file", f)
	}
	m := &Mutation{
		Provider: LocationProvider(l.ID),
		Sources:  sources,
		Entities: func(yield func(*Prepared) bool) {
			for _, pr := range prepared {
				if !yield(pr) {
					return
				}
			}
		},
		Errors:      c.errs,
		SkipOrphans: c.sourceFailed,
		Replayable:  true,
		KeepOrphans: p.cfg.KeepOrphans,
		ErrorKey:    GeneratedLocationEntity(l).Ref().Key(),
	}
	res, err := p.store.Apply(ctx, m)
	p.log.Info("location files refreshed", "location", l.ID, "files", len(paths), "inserted", res.Inserted,
		"updated", res.Updated, "unchanged", res.Unchanged, "removed", res.Removed, "duration", time.Since(start).Round(time.Millisecond), "err", err)
	return res, err
}

func (p *Processor) remember(l Location, c *crawl, readAt time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	lf := p.files[l.ID]
	if lf == nil {
		lf = &locationFiles{}
		p.files[l.ID] = lf
	}
	lf.loc = l
	lf.files = c.files
	lf.readAt = readAt
}

// Forget drops what the processor remembers of a deleted location.
func (p *Processor) Forget(id string) {
	p.mu.Lock()
	delete(p.files, id)
	p.mu.Unlock()
}

// ValidateEntity checks one entity as the location named by locationRef
// ("url:https://...") would read it, rules included, without storing it.
func (p *Processor) ValidateEntity(raw map[string]any, locationRef string) (*Entity, error) {
	typ, target, _ := strings.Cut(locationRef, ":")
	v := p.validatorFor(Location{Type: typ, Target: target})
	e, err := v.Validate(RawDocument{File: locationRef, Object: raw})
	if err != nil {
		return nil, err
	}
	if _, err := Prepare(e, locationRef, locationRef); err != nil {
		return nil, err
	}
	return e, nil
}

// crawl is one read of a location's tree: the root target, the targets of
// every Location entity found on the way, each file once, read by a pool of
// workers.
type crawl struct {
	p         *Processor
	ctx       context.Context
	loc       Location
	validator *Validator
	origin    string
	emit      func(*Entity, *Prepared)

	onlySources   bool // read the queued files only; do not follow Location targets
	reportMissing bool // a queued file that does not exist is an error even with onlySources

	mu           sync.Mutex
	cond         *sync.Cond
	queue        []queued
	pending      int
	visited      map[string]bool
	files        map[string]fileInfo
	errs         []ProcessingError
	sourceFailed bool
}

func (p *Processor) newCrawl(ctx context.Context, l Location, emit func(*Entity, *Prepared)) *crawl {
	c := &crawl{
		p: p, ctx: ctx, loc: l, emit: emit,
		validator: p.validatorFor(l),
		origin:    LocationRef(l.Type, l.Target),
		visited:   map[string]bool{}, files: map[string]fileInfo{},
	}
	c.cond = sync.NewCond(&c.mu)
	return c
}

// queued is a file waiting to be read, with the Location entity that named
// it; optional when that Location says spec.presence: optional.
type queued struct {
	target   string
	parent   string
	optional bool
}

func (c *crawl) enqueue(target, parent string) { c.enqueueTarget(target, parent, false) }

func (c *crawl) enqueueTarget(target, parent string, optional bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.visited[target] {
		return
	}
	c.visited[target] = true
	c.queue = append(c.queue, queued{target, parent, optional})
	c.pending++
	c.cond.Signal()
}

func (c *crawl) fail(e ProcessingError, sourceLost bool) {
	c.mu.Lock()
	c.errs = append(c.errs, e)
	if sourceLost {
		c.sourceFailed = true
	}
	c.mu.Unlock()
}

// run reads the tree; it returns when every reachable file is done.
func (c *crawl) run() {
	if !c.onlySources {
		// The registered location itself is an entity, as in Backstage.
		gen := GeneratedLocationEntity(c.loc)
		if pr, err := Prepare(gen, c.origin, c.origin); err == nil {
			c.emit(gen, pr)
		}
		c.enqueue(c.loc.Target, gen.Ref().String())
	}
	var wg sync.WaitGroup
	for range c.p.cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c.mu.Lock()
				for len(c.queue) == 0 && c.pending > 0 {
					c.cond.Wait()
				}
				if c.pending == 0 {
					c.cond.Broadcast()
					c.mu.Unlock()
					return
				}
				next := c.queue[len(c.queue)-1]
				c.queue = c.queue[:len(c.queue)-1]
				c.mu.Unlock()

				c.readFile(next)

				c.mu.Lock()
				c.pending--
				if c.pending == 0 {
					c.cond.Broadcast()
				}
				c.mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// readFile reads, parses, validates and prepares one file's entities.
func (c *crawl) readFile(q queued) {
	target, parent := q.target, q.parent
	if c.ctx.Err() != nil {
		return
	}
	source := LocationRef(c.loc.Type, target)
	data, canonical, err := c.p.reader.Read(c.ctx, c.loc.Type, target)
	if err != nil {
		var re *ReadError
		msg, lost := err.Error(), true
		if errors.As(err, &re) {
			msg = re.Reason
			// A file that is gone takes its entities with it; any other
			// failure leaves them as they were, since we cannot tell.
			lost = !re.NotFound
		}
		if !lost && (q.optional || c.onlySources && !c.reportMissing) {
			return // an optional target that is not there is no error
		}
		c.fail(ProcessingError{Source: source, Field: "target", Message: fmt.Sprintf("cannot read %s: %s", target, msg)}, lost)
		return
	}
	if c.loc.Type == "file" {
		source = LocationRef("file", canonical)
	}
	docs, err := Parse(source, data, c.p.cfg.Limits)
	if err != nil {
		c.failDocs(source, err, "")
		c.mu.Lock()
		c.sourceFailed = true
		c.mu.Unlock()
		return
	}
	holdsLocations := false
	for _, doc := range docs {
		if err := c.resolvePlaceholders(target, &doc); err != nil {
			c.failDocs(source, err, rawKey(doc.Object))
			continue
		}
		e, err := c.validator.Validate(doc)
		if err != nil {
			c.failDocs(source, err, rawKey(doc.Object))
			continue
		}
		if strings.EqualFold(e.Kind, "Location") {
			holdsLocations = true
			if !c.onlySources {
				c.followLocation(target, source, e)
			}
		}
		pr, err := Prepare(e, source, c.origin)
		if err != nil {
			c.failDocs(source, err, e.Ref().Key())
			continue
		}
		pr.Parent = parent
		c.emit(e, pr)
	}
	if c.loc.Type == "file" {
		c.mu.Lock()
		c.files[canonical] = fileInfo{holdsLocations: holdsLocations, parent: parent}
		c.mu.Unlock()
	}
}

// followLocation queues the targets of a Location entity, relative to the
// file that holds it and of the same type as the registered location.
func (c *crawl) followLocation(base, source string, e *Entity) {
	typ, _ := e.Spec["type"].(string)
	if typ == "" {
		typ = c.loc.Type
	}
	if typ != c.loc.Type {
		c.fail(ProcessingError{EntityKey: e.Ref().Key(), Source: source, Field: "spec.type",
			Message: fmt.Sprintf("a %s location may only point at %s targets, not %s", c.loc.Type, c.loc.Type, typ)}, false)
		return
	}
	var targets []string
	if t, ok := e.Spec["target"].(string); ok && t != "" {
		targets = append(targets, t)
	}
	targets = append(targets, refStrings(e.Spec["targets"])...)
	optional := e.Spec["presence"] == "optional"
	for i, t := range targets {
		resolved, err := Resolve(typ, base, t)
		if err == nil {
			err = c.p.reader.CheckTarget(typ, resolved)
		}
		if err != nil {
			field := "spec.target"
			if len(targets) > 1 || e.Spec["targets"] != nil {
				field = fmt.Sprintf("spec.targets[%d]", i)
			}
			reason, lost := err.Error(), true
			var re *ReadError
			if errors.As(err, &re) {
				reason = re.Reason
				// A target that does not exist has no entities: those it
				// had are gone with it. Any other failure keeps them.
				lost = !re.NotFound
				if re.NotFound && optional {
					continue // spec.presence: optional
				}
			}
			c.fail(ProcessingError{EntityKey: e.Ref().Key(), Source: source, Field: field, Message: fmt.Sprintf("%s %s", t, reason)}, lost)
			continue
		}
		c.enqueueTarget(resolved, e.Ref().String(), optional)
	}
}

// failDocs records parse or validation errors; key names the entity when
// the document says which one it is.
func (c *crawl) failDocs(source string, err error, key string) {
	var list Errors
	if errors.As(err, &list) {
		for _, fe := range list {
			c.fail(ProcessingError{EntityKey: key, Source: source, Document: fe.Document, Line: fe.Line, Field: fe.Field, Message: fe.Reason}, false)
		}
		return
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		c.fail(ProcessingError{EntityKey: key, Source: source, Document: fe.Document, Line: fe.Line, Field: fe.Field, Message: fe.Reason}, false)
		return
	}
	var re *ReadError
	if errors.As(err, &re) {
		c.fail(ProcessingError{EntityKey: key, Source: source, Field: re.Field, Message: re.Reason}, false)
		return
	}
	c.fail(ProcessingError{EntityKey: key, Source: source, Message: err.Error()}, false)
}

// rawKey is the ref key a raw document names, if it names one well enough.
func rawKey(obj map[string]any) string {
	kind, _ := obj["kind"].(string)
	md, _ := obj["metadata"].(map[string]any)
	name, _ := md["name"].(string)
	ns, _ := md["namespace"].(string)
	if kind == "" || name == "" || strings.ContainsAny(kind+ns+name, ":/") {
		return ""
	}
	if ns == "" {
		ns = DefaultNamespace
	}
	return Ref{Kind: kind, Namespace: ns, Name: name}.Key()
}

// BuiltinKinds lists the kinds the catalog knows without configuration.
func BuiltinKinds() []string { return builtinKindNames() }
