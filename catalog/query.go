package catalog

// Filter is Backstage's entity filter: the entity matches when any of the
// sets matches, and a set matches when all of its conditions hold. An empty
// filter matches everything.
type Filter struct {
	AnyOf []FilterSet
}

// FilterSet is a conjunction of conditions.
type FilterSet struct {
	Conditions []Condition
}

// Condition matches entities whose Key (a dotted path such as
// "spec.type" or "relations.ownedBy", compared case-insensitively) has one of
// Values, or, when Values is empty, has the key at all.
type Condition struct {
	Key    string
	Values []string
}

// Empty tells whether the filter matches everything.
func (f Filter) Empty() bool { return len(f.AnyOf) == 0 }

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
	Limit    int  // 0: no limit
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
