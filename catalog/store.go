package catalog

import (
	"context"
	"errors"
	"iter"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors every Store maps its backend's errors onto.
var (
	ErrNotFound      = errors.New("not found")
	ErrAlreadyExists = errors.New("already exists")
)

// Prepared is an entity ready to be written: validated, flattened into
// search rows, its relations computed and its body serialized. Providers'
// readers prepare entities in parallel; the store only writes them.
type Prepared struct {
	Ref       Ref
	Key       string // Ref.Key()
	Source    string // where it was read (file:/path or URL)
	Parent    string // ref of the Location entity that led to it ("" for a root)
	Body      []byte // the entity as JSON, without uid, etag and relations
	Hash      string // content hash of Body
	Search    []SearchRow
	Relations []RelationRow
}

// ProcessingError is a problem met while a provider read its entities.
type ProcessingError struct {
	EntityKey string // the entity concerned ("" when unknown)
	Source    string // file or URL
	Document  int
	Line      int
	Field     string
	Message   string
}

// DescribeError is the error on one line, naming the file, the document
// (counted from 1), the line, the field and the reason.
func DescribeError(pe ProcessingError) string {
	var parts []string
	if pe.Source != "" {
		parts = append(parts, pe.Source)
	}
	if pe.Document > 0 || pe.Line > 0 {
		parts = append(parts, "document "+strconv.Itoa(pe.Document+1))
	}
	if pe.Line > 0 {
		parts = append(parts, "line "+strconv.Itoa(pe.Line))
	}
	if pe.Field != "" {
		parts = append(parts, pe.Field)
	}
	parts = append(parts, pe.Message)
	return strings.Join(parts, ": ")
}

// Mutation is what a provider sends: Full (this is everything I have; what I
// owned and did not emit is an orphan) or a delta (these changed, those are
// gone). Entities are streamed so a 50,000-entity mutation never sits in
// memory at once. The store applies a mutation in one transaction.
type Mutation struct {
	Provider string
	Full     bool
	// Entities added or changed (delta) or all of them (full).
	Entities iter.Seq[*Prepared]
	// Removed lists ref keys the provider no longer has (delta only).
	Removed []string
	// Sources lists the files or URLs a delta covers: entities from them
	// that the delta does not emit are removed, and their errors replaced.
	Sources []string
	// Errors replace the provider's errors (full) or those of Sources (delta).
	// An entity named by an error is kept as it is stored.
	Errors []ProcessingError
	// ErrorKey is the entity that errors about the provider as a whole
	// (a file that cannot be read, a refused duplicate) are shown on:
	// for a location, its Location entity.
	ErrorKey string
	// KeepOrphans flags orphans instead of deleting them.
	KeepOrphans bool
	// SkipOrphans leaves unseen entities alone, because a source could not
	// be read and its entities are unknown this time.
	SkipOrphans bool
	// Replayable says Entities can be ranged over again, so the store may
	// retry the whole mutation after a transient conflict (a serialization
	// failure, a deadlock, or a concurrent insert of the same ref).
	Replayable bool
	// Err, when set, is called once Entities is drained; an error aborts
	// the mutation and nothing of it is written. A streaming reader uses it
	// to report a failure met mid-stream, and may fill Errors and
	// SkipOrphans up to that moment, since the store reads them only after.
	Err func() error
}

// ApplyResult counts what a mutation changed.
type ApplyResult struct {
	Inserted, Updated, Unchanged, Removed, Orphaned, Conflicts int
}

// StoredEntity is an entity as read back, ready to serve.
type StoredEntity struct {
	UID       string
	Key       string
	Etag      string
	Provider  string
	Source    string
	Parent    string
	Body      []byte
	Relations []Relation
	Errors    []ProcessingError
	Orphan    bool
	UpdatedAt time.Time
}

// Location is a registered location.
type Location struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Target string `json:"target"`
	Origin string `json:"-"` // "api" or "config"
	// CreatedBy is the subject of the principal that registered it, who
	// may change or delete it ("" for configuration).
	CreatedBy string    `json:"-"`
	CreatedAt time.Time `json:"-"`
}

// ProviderState is the refresh state of a provider.
type ProviderState struct {
	Provider      string
	LastRefreshAt *time.Time
	NextRefreshAt *time.Time
	LastError     string
	EntityCount   int
}

// Store keeps the catalog. Implementations map their errors onto
// ErrNotFound and ErrAlreadyExists; the conformance suite in
// catalog/storetest holds every implementation to the same behaviour.
type Store interface {
	// Apply writes one mutation in one transaction.
	Apply(ctx context.Context, m *Mutation) (ApplyResult, error)

	EntityByKey(ctx context.Context, key string) (*StoredEntity, error)
	EntityByUID(ctx context.Context, uid string) (*StoredEntity, error)
	// EntitiesByKeys returns one slot per key, nil where none is stored.
	EntitiesByKeys(ctx context.Context, keys []string) ([]*StoredEntity, error)
	QueryEntities(ctx context.Context, q EntityQuery) (*EntityPage, error)
	Facets(ctx context.Context, filter Filter, facets []string) (map[string][]FacetCount, error)
	// DeleteEntity removes one entity (its provider may emit it again).
	DeleteEntity(ctx context.Context, uid string) error
	// ProviderOf returns the provider that owns the entity with this key.
	ProviderOf(ctx context.Context, key string) (string, error)

	CreateLocation(ctx context.Context, l Location) (Location, error)
	Location(ctx context.Context, id string) (Location, error)
	LocationByTarget(ctx context.Context, typ, target string) (Location, error)
	Locations(ctx context.Context) ([]Location, error)
	// UpdateLocation changes a location's type and target; ErrAlreadyExists
	// when another location has them.
	UpdateLocation(ctx context.Context, l Location) (Location, error)
	// DeleteLocation removes the location and every entity its provider owns.
	DeleteLocation(ctx context.Context, id string) error

	// SearchText is the full-text search over names, titles, descriptions
	// and tags, served from an index (SQLite FTS5, PostgreSQL tsvector).
	SearchText(ctx context.Context, q TextQuery) (*TextPage, error)
	// SubscribeChanges delivers, after each commit, the entities a write
	// changed or removed, until cancel is called. A subscriber that falls
	// behind by more than buffer batches misses batches (and is told so by
	// a batch with Overflow set) rather than blocking writers.
	SubscribeChanges(buffer int) (changes <-chan ChangeBatch, cancel func())

	ProviderErrors(ctx context.Context, provider string) ([]ProcessingError, error)
	SetProviderState(ctx context.Context, s ProviderState) error
	ProviderState(ctx context.Context, provider string) (ProviderState, error)
}

// TextQuery is a full-text search. Every word of Text must match a word of
// the entity's name, title, description or tags, as a prefix ("paym"
// finds "payments"); results come best match first. A Text without a word
// gives an empty page; a query too long for the store, or an After that is
// not one of its cursors, fails with a *FieldError.
type TextQuery struct {
	Text string
	// Kinds restricts the search to these lower-cased kinds (nil: all).
	// The API intersects it with the kinds the caller may read, so hidden
	// entities are absent from hits, totals and facets alike.
	Kinds []string
	Limit int
	// After is the opaque cursor of the previous page's last hit.
	After string
	// Facets names the fields to count over every hit (not just the page):
	// "kind", "spec.type", "spec.owner", "spec.lifecycle", "metadata.tags".
	Facets []string
	// Filters keeps the hits whose field (a facet's name) has one of the
	// values, compared without case; every filter must hold. Facets are
	// counted over the filtered hits.
	Filters map[string][]string
}

// TextPage is one page of search hits.
type TextPage struct {
	Entities []*StoredEntity // bodies without relations
	Total    int             // hits over every page (see TotalCapped)
	// TotalCapped says there are more hits than a store counts exactly
	// (10,000 for entstore): Total is then that cap, a lower bound ("10000+").
	TotalCapped bool
	Next        string // cursor of the next page, "" on the last
	Facets      map[string][]FacetCount
}

// Change is one entity that a committed write stored or removed.
type Change struct {
	Key     string // ref key, lower-cased
	Kind    string // lower-cased
	Removed bool
}

// ChangeBatch is the changes of one commit.
type ChangeBatch struct {
	Changes []Change
	// Overflow says batches were dropped before this one because the
	// subscriber fell behind: re-read what it shows.
	Overflow bool
}
