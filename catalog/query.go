package catalog

// Filter is a predicate over entities, the tree both of Backstage's filter
// forms compile to: the filter query parameters (any of several sets whose
// statements must all hold) and the predicate queries of the POST
// endpoints ($all, $any, $not, $in, $exists, $hasPrefix). A node is either a
// leaf (Key set) or a combination; the zero Filter matches everything.
type Filter struct {
	All []Filter
	Any []Filter
	Not *Filter

	// Key is a dotted path ("spec.type", "relations.ownedBy"), compared
	// case-insensitively, as are the values.
	Key string
	Op  FilterOp
	// Values: OpIn matches when the key has any of them.
	Values []string
	// Prefix: OpPrefix matches when a value of the key starts with it.
	Prefix string
}

// FilterOp is how a leaf matches.
type FilterOp int

// The leaf operators.
const (
	OpIn        FilterOp = iota // the key has one of Values
	OpExists                    // the key is present
	OpNotExists                 // the key is absent
	OpPrefix                    // a value of the key starts with Prefix
)

// Empty tells whether the filter matches everything.
func (f Filter) Empty() bool {
	return f.Key == "" && len(f.All) == 0 && len(f.Any) == 0 && f.Not == nil
}

// And combines filters that must all hold, dropping empty ones.
func And(fs ...Filter) Filter {
	var out Filter
	for _, f := range fs {
		if !f.Empty() {
			out.All = append(out.All, f)
		}
	}
	if len(out.All) == 1 {
		return out.All[0]
	}
	return out
}

// OrderField sorts by the value of a key (as filters name keys).
type OrderField struct {
	Field string
	Desc  bool
}

// FullTextFilter matches entities where one of Fields (every key when empty)
// contains Term, case-insensitively.
type FullTextFilter struct {
	Term   string
	Fields []string
}

// EntityQuery asks for a page of entities.
type EntityQuery struct {
	Filter   Filter
	FullText *FullTextFilter
	Order    []OrderField
	Offset   int
	Limit    int // 0: no limit
	// AfterKey, with no Order, starts the page after this ref key instead
	// of at Offset: keyset paging, which costs the same on the last page
	// of a large catalog as on the first.
	AfterKey string
	Count    bool // also count every match
}

// EntityPage is one page of a query; Total is -1 unless counted.
type EntityPage struct {
	Items []*StoredEntity
	Total int
}

// FacetCount is how many entities have one value of a facet.
type FacetCount struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}
