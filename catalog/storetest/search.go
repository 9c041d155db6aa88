package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pont-dev/pont/catalog"
)

// described builds a component with a title, description and tags.
func described(name, title, description string, tags ...string) *catalog.Entity {
	e := component(name, "team-a", nil)
	e.Metadata.Title, e.Metadata.Description, e.Metadata.Tags = title, description, tags
	return e
}

func seedTextCatalog(t *testing.T, s catalog.Store) {
	api := entity("API", "ledger-api", map[string]any{"type": "grpc", "lifecycle": "production", "owner": "finance", "definition": "x"})
	api.Metadata.Description = "Reads the ledger"
	api.Metadata.Tags = []string{"grpc"}
	apply(t, s, full("p1",
		prepare(t, described("payments-api", "Payments API", "Takes card payments for checkout", "go", "billing"), "file:/a.yaml"),
		prepare(t, described("payments_worker", "", "Settles the ledger nightly", "go"), "file:/a.yaml"),
		prepare(t, described("checkout.web", "Checkout website", "The shop front", "typescript"), "file:/a.yaml"),
		prepare(t, api, "file:/a.yaml"),
		prepare(t, entity("Group", "team-a", map[string]any{"type": "team", "children": []any{}}), "file:/org.yaml"),
	))
}

func search(t *testing.T, s catalog.Store, q catalog.TextQuery) *catalog.TextPage {
	t.Helper()
	page, err := s.SearchText(context.Background(), q)
	if err != nil {
		t.Fatalf("search %q: %v", q.Text, err)
	}
	return page
}

func hitKeys(p *catalog.TextPage) []string {
	out := []string{}
	for _, e := range p.Entities {
		out = append(out, e.Key)
	}
	return out
}

func testSearchWords(t *testing.T, s catalog.Store) {
	seedTextCatalog(t, s)
	cases := []struct {
		text string
		want []string
	}{
		{"paym", []string{"component:default/payments-api", "component:default/payments_worker"}},
		{"api", []string{"component:default/payments-api", "api:default/ledger-api"}},
		{"PAYMENTS api", []string{"component:default/payments-api"}},
		{"payments-api", []string{"component:default/payments-api"}},
		{"web", []string{"component:default/checkout.web"}},
		{"worker", []string{"component:default/payments_worker"}},
		{"nightly ledg", []string{"component:default/payments_worker"}},
		{"billing", []string{"component:default/payments-api"}},
		{"websi", []string{"component:default/checkout.web"}},
		{"grpc", []string{"api:default/ledger-api"}},   // spec.type and a tag
		{"financ", []string{"api:default/ledger-api"}}, // spec.owner
		{"payments nothing", []string{}},
		{"zzzz", []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.text, func(t *testing.T) {
			page := search(t, s, catalog.TextQuery{Text: tc.text})
			same(t, tc.text, sortedCopy(hitKeys(page)), tc.want)
			if page.Total != len(tc.want) || page.Next != "" {
				t.Fatalf("total %d next %q, want %d and no next page", page.Total, page.Next, len(tc.want))
			}
		})
	}
	// Best match first: a word in the name outranks the same word in a
	// description.
	page := search(t, s, catalog.TextQuery{Text: "ledger"})
	if got := hitKeys(page); len(got) != 2 || got[0] != "api:default/ledger-api" {
		t.Fatalf("ledger: %v, want ledger-api first", got)
	}
	e := page.Entities[0]
	stored := mustGet(t, s, e.Key)
	if e.UID != stored.UID || e.Etag != stored.Etag || string(e.Body) != string(stored.Body) || e.Provider != "p1" {
		t.Fatalf("hit %+v differs from the stored entity %+v", e, stored)
	}
	// No word, no hits.
	for _, text := range []string{"", "   ", "-- !!"} {
		if page := search(t, s, catalog.TextQuery{Text: text}); len(page.Entities) != 0 || page.Total != 0 {
			t.Fatalf("%q: %+v, want an empty page", text, page)
		}
	}
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func testSearchKindsAndFacets(t *testing.T, s catalog.Store) {
	seedTextCatalog(t, s)
	facets := []string{"kind", "spec.type", "metadata.tags"}
	page := search(t, s, catalog.TextQuery{Text: "api", Facets: facets})
	if page.Total != 2 || !slices.Equal(page.Facets["kind"], []catalog.FacetCount{{Value: "API", Count: 1}, {Value: "Component", Count: 1}}) {
		t.Fatalf("all kinds: total %d facets %+v", page.Total, page.Facets)
	}
	if !slices.Equal(page.Facets["metadata.tags"], []catalog.FacetCount{{Value: "billing", Count: 1}, {Value: "go", Count: 1}, {Value: "grpc", Count: 1}}) {
		t.Fatalf("tags facet = %+v", page.Facets["metadata.tags"])
	}
	// A hidden kind is absent from hits, total and facets alike.
	page = search(t, s, catalog.TextQuery{Text: "api", Kinds: []string{"component"}, Facets: facets})
	same(t, "component hits", hitKeys(page), []string{"component:default/payments-api"})
	if page.Total != 1 || !slices.Equal(page.Facets["kind"], []catalog.FacetCount{{Value: "Component", Count: 1}}) ||
		!slices.Equal(page.Facets["spec.type"], []catalog.FacetCount{{Value: "service", Count: 1}}) ||
		!slices.Equal(page.Facets["metadata.tags"], []catalog.FacetCount{{Value: "billing", Count: 1}, {Value: "go", Count: 1}}) {
		t.Fatalf("component only: total %d facets %+v", page.Total, page.Facets)
	}
	// No kind allowed: nothing.
	page = search(t, s, catalog.TextQuery{Text: "api", Kinds: []string{}, Facets: facets})
	if len(page.Entities) != 0 || page.Total != 0 || len(page.Facets["kind"]) != 0 {
		t.Fatalf("no kinds: %+v", page)
	}
	page = search(t, s, catalog.TextQuery{Text: "api", Kinds: []string{"group", "system"}})
	if len(page.Entities) != 0 || page.Total != 0 {
		t.Fatalf("kinds without hits: %+v", page)
	}
}

// testSearchFilters: a facet's value narrows the hits (case aside), the
// facets count the narrowed hits, filters combine with AND and a filter's
// values with OR, and the kinds still apply.
func testSearchFilters(t *testing.T, s catalog.Store) {
	seedTextCatalog(t, s)
	facets := []string{"kind", "metadata.tags"}
	page := search(t, s, catalog.TextQuery{Text: "payments", Filters: map[string][]string{"metadata.tags": {"Billing"}}, Facets: facets})
	same(t, "tag billing", hitKeys(page), []string{"component:default/payments-api"})
	if page.Total != 1 || !slices.Equal(page.Facets["metadata.tags"], []catalog.FacetCount{{Value: "billing", Count: 1}, {Value: "go", Count: 1}}) {
		t.Fatalf("tag billing: total %d facets %+v", page.Total, page.Facets)
	}
	page = search(t, s, catalog.TextQuery{Text: "l", Filters: map[string][]string{"metadata.tags": {"go", "grpc"}}})
	same(t, "tags go or grpc", hitKeys(page), []string{"api:default/ledger-api", "component:default/payments_worker"})
	page = search(t, s, catalog.TextQuery{Text: "l", Filters: map[string][]string{"metadata.tags": {"go", "grpc"}, "spec.type": {"grpc"}}})
	same(t, "tags and type", hitKeys(page), []string{"api:default/ledger-api"})
	page = search(t, s, catalog.TextQuery{Text: "l", Kinds: []string{"component"}, Filters: map[string][]string{"spec.type": {"grpc"}}})
	if page.Total != 0 || len(page.Entities) != 0 {
		t.Fatalf("kinds and filters: %+v", hitKeys(page))
	}
	page = search(t, s, catalog.TextQuery{Text: "payments", Filters: map[string][]string{"spec.lifecycle": {"nope"}}, Facets: facets})
	if page.Total != 0 || len(page.Facets["kind"]) != 0 {
		t.Fatalf("no such value: %+v", page)
	}
}

func testSearchPages(t *testing.T, s catalog.Store) {
	var ps []*catalog.Prepared
	for i := range 25 {
		// Two groups of scores (the word twice or once), so pages cross
		// both ties and score changes.
		desc := "plain"
		if i%3 == 0 {
			desc = "shared shared"
		}
		ps = append(ps, prepare(t, described(fmt.Sprintf("svc-%02d", i), "", desc+" shared", "x"), "file:/s.yaml"))
	}
	apply(t, s, full("p1", ps...))
	seen := map[string]bool{}
	var order []string
	after := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("paging does not end")
		}
		page := search(t, s, catalog.TextQuery{Text: "shared", Limit: 7, After: after})
		if page.Total != 25 {
			t.Fatalf("total = %d, want 25", page.Total)
		}
		for _, e := range page.Entities {
			if seen[e.Key] {
				t.Fatalf("%s on two pages", e.Key)
			}
			seen[e.Key] = true
			order = append(order, e.Key)
		}
		if page.Next == "" {
			break
		}
		if len(page.Entities) != 7 {
			t.Fatalf("a page before the last holds %d hits", len(page.Entities))
		}
		after = page.Next
	}
	if len(seen) != 25 {
		t.Fatalf("paged through %d hits, want 25", len(seen))
	}
	// The same order as one page of everything.
	all := search(t, s, catalog.TextQuery{Text: "shared", Limit: 100})
	if !slices.Equal(hitKeys(all), order) {
		t.Fatalf("paged order %v differs from one page %v", order, hitKeys(all))
	}
	// Those with the word twice come first.
	for _, k := range order[:9] {
		var n int
		fmt.Sscanf(strings.TrimPrefix(k, "component:default/svc-"), "%d", &n)
		if n%3 != 0 {
			t.Fatalf("best hits %v: %s has the word once", order[:9], k)
		}
	}
	// Several words, where one is rare and one common: a store may look up
	// the rare word first (entstore on PostgreSQL does, below a bound of
	// 200 entities), but hits, totals and facets stay exact either way.
	var bulk []*catalog.Prepared
	for i := range 210 {
		bulk = append(bulk, prepare(t, described(fmt.Sprintf("item-%04d", i), "", "bulk entity"), "file:/bulk.yaml"))
	}
	apply(t, s, full("p2", bulk...))
	for _, tc := range []struct {
		text  string
		kinds []string
		total int
	}{
		{"item 0042", nil, 1},
		{"0042 bulk", nil, 1},
		{"item 004", nil, 10},
		{"bulk 00", nil, 100},          // 100 entities for the rare word
		{"bulk entity item", nil, 210}, // every word in more than 200
		{"item 01", nil, 100},
		{"item 0042", []string{"api"}, 0},
		{"item 004", []string{"component"}, 10},
		{"bulk entity", []string{"component", "api"}, 210},
	} {
		page := search(t, s, catalog.TextQuery{Text: tc.text, Kinds: tc.kinds, Limit: 500, Facets: []string{"kind"}})
		if page.Total != tc.total || len(page.Entities) != tc.total || page.TotalCapped {
			t.Fatalf("%q kinds %v: total %d, %d hits, want %d", tc.text, tc.kinds, page.Total, len(page.Entities), tc.total)
		}
		want := []catalog.FacetCount{}
		if tc.total > 0 {
			want = []catalog.FacetCount{{Value: "Component", Count: tc.total}}
		}
		if !slices.Equal(page.Facets["kind"], want) {
			t.Fatalf("%q kinds %v: kind facet %+v, want %+v", tc.text, tc.kinds, page.Facets["kind"], want)
		}
	}
	if got := hitKeys(search(t, s, catalog.TextQuery{Text: "item-0042"})); !slices.Equal(got, []string{"component:default/item-0042"}) {
		t.Fatalf("item-0042: %v", got)
	}

	// A forged cursor is an input error, not a database error.
	for _, bad := range []string{"nope", "dDE6eDox", "%%%", strings.Repeat("A", 300)} {
		_, err := s.SearchText(context.Background(), catalog.TextQuery{Text: "shared", After: bad})
		var fe *catalog.FieldError
		if !errors.As(err, &fe) {
			t.Fatalf("cursor %q: want a *catalog.FieldError, got %v", bad, err)
		}
	}
}

func testSearchFollowsWrites(t *testing.T, s catalog.Store) {
	ctx := context.Background()
	apply(t, s, full("p1",
		prepare(t, described("a", "", "zebra crossing"), "file:/a.yaml"),
		prepare(t, described("b", "", "zebra too"), "file:/b.yaml")))
	hits := func(text string) []string {
		t.Helper()
		return sortedCopy(hitKeys(search(t, s, catalog.TextQuery{Text: text})))
	}
	same(t, "zebra", hits("zebra"), []string{"component:default/a", "component:default/b"})
	// An unchanged entity keeps its index row.
	apply(t, s, full("p1",
		prepare(t, described("a", "", "yak shaving"), "file:/a.yaml"),
		prepare(t, described("b", "", "zebra too"), "file:/b.yaml")))
	same(t, "zebra after update", hits("zebra"), []string{"component:default/b"})
	same(t, "yak after update", hits("yak"), []string{"component:default/a"})
	same(t, "crossing after update", hits("crossing"), []string{})
	// Orphans removed by a full mutation leave the index.
	apply(t, s, full("p1", prepare(t, described("a", "", "yak shaving"), "file:/a.yaml")))
	same(t, "zebra after orphan removal", hits("zebra"), []string{})
	// So do entities deleted one by one ...
	a := mustGet(t, s, "component:default/a")
	if err := s.DeleteEntity(ctx, a.UID); err != nil {
		t.Fatal(err)
	}
	same(t, "yak after delete", hits("yak"), []string{})
	// ... and with their location.
	l, err := s.CreateLocation(ctx, catalog.Location{Type: "file", Target: "/x/all.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	apply(t, s, full(catalog.LocationProvider(l.ID), prepare(t, described("c", "", "quokka"), "file:/x/c.yaml")))
	same(t, "quokka", hits("quokka"), []string{"component:default/c"})
	if err := s.DeleteLocation(ctx, l.ID); err != nil {
		t.Fatal(err)
	}
	same(t, "quokka after location delete", hits("quokka"), []string{})
	// A delta that removes a key.
	apply(t, s, full("p2", prepare(t, described("d", "", "wombat"), "file:/d.yaml")))
	apply(t, s, &catalog.Mutation{Provider: "p2", Removed: []string{"component:default/d"}, Entities: seq()})
	same(t, "wombat after delta removal", hits("wombat"), []string{})
}

// nastyTexts are query strings that must give results or a
// *catalog.FieldError, never a database error.
var nastyTexts = []string{
	`"`, `""`, `"payments`, `*`, `payments*`, `NEAR(`, `NEAR(a b)`, `a OR b`, `a AND`, `NOT a`, `-`, `-payments`,
	`:`, `name:payments`, `{name}: x`, `'`, `''`, `a'b`, `\`, `\x`, "\x00", "a\x00b", `^a`, `a + b`, `(`, `)`,
	`a & b | !c`, `a:*`, `'a':*`, `<->`, `%`, `_`, `%_%`, `; DROP TABLE entities; --`, "\xff\xfe", "é", "ÉCOLE",
	"日本語", "🙂", "\t\n", strings.Repeat("a", 64), strings.Repeat("a", 500), strings.Repeat("a ", 400),
	strings.Repeat("x", 10000), strings.Repeat("NEAR( ", 100),
}

func testSearchNastyText(t *testing.T, s catalog.Store) {
	seedTextCatalog(t, s)
	for _, text := range nastyTexts {
		page, err := s.SearchText(context.Background(), catalog.TextQuery{Text: text, Facets: []string{"kind"}})
		var fe *catalog.FieldError
		switch {
		case err == nil && page == nil:
			t.Errorf("%.40q: no page and no error", text)
		case err != nil && !errors.As(err, &fe):
			t.Errorf("%.40q: want results or a *catalog.FieldError, got %v", text, err)
		}
	}
	// Punctuation around a word still finds it.
	same(t, `"payments"`, sortedCopy(hitKeys(search(t, s, catalog.TextQuery{Text: `("payments"*) -:`}))),
		[]string{"component:default/payments-api", "component:default/payments_worker"})
}

// next receives a batch, failing after a while.
func next(t *testing.T, ch <-chan catalog.ChangeBatch) catalog.ChangeBatch {
	t.Helper()
	select {
	case b, ok := <-ch:
		if !ok {
			t.Fatal("the change feed closed")
		}
		return b
	case <-time.After(5 * time.Second):
		t.Fatal("no change batch")
	}
	return catalog.ChangeBatch{}
}

func changeList(b catalog.ChangeBatch) []string {
	out := []string{}
	for _, c := range b.Changes {
		verb := "stored"
		if c.Removed {
			verb = "removed"
		}
		out = append(out, verb+" "+c.Kind+" "+c.Key)
	}
	slices.Sort(out)
	return out
}

func testChangeFeed(t *testing.T, s catalog.Store) {
	ctx := context.Background()
	ch, cancel := s.SubscribeChanges(10)
	defer cancel()
	apply(t, s, full("p1",
		prepare(t, component("a", "team", nil), "file:/a.yaml"),
		prepare(t, entity("API", "b", map[string]any{"type": "grpc", "lifecycle": "production", "owner": "team", "definition": "x"}), "file:/b.yaml")))
	same(t, "insert", changeList(next(t, ch)), []string{"stored component component:default/a", "stored api api:default/b"})
	// Unchanged entities are not named: the next batch is the update's.
	apply(t, s, full("p1",
		prepare(t, component("a", "team", nil), "file:/a.yaml"),
		prepare(t, entity("API", "b", map[string]any{"type": "grpc", "lifecycle": "production", "owner": "team", "definition": "x"}), "file:/b.yaml")))
	apply(t, s, full("p1",
		prepare(t, component("a", "other", nil), "file:/a.yaml"),
		prepare(t, entity("API", "b", map[string]any{"type": "grpc", "lifecycle": "production", "owner": "team", "definition": "x"}), "file:/b.yaml")))
	b := next(t, ch)
	same(t, "update", changeList(b), []string{"stored component component:default/a"})
	if b.Overflow {
		t.Fatal("overflow without a dropped batch")
	}
	// Orphan removal.
	apply(t, s, full("p1", prepare(t, component("a", "other", nil), "file:/a.yaml")))
	same(t, "orphan removal", changeList(next(t, ch)), []string{"removed api api:default/b"})
	// DeleteEntity and DeleteLocation.
	if err := s.DeleteEntity(ctx, mustGet(t, s, "component:default/a").UID); err != nil {
		t.Fatal(err)
	}
	same(t, "delete entity", changeList(next(t, ch)), []string{"removed component component:default/a"})
	l, err := s.CreateLocation(ctx, catalog.Location{Type: "file", Target: "/x/all.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	apply(t, s, full(catalog.LocationProvider(l.ID), prepare(t, component("c", "team", nil), "file:/x/c.yaml")))
	same(t, "location insert", changeList(next(t, ch)), []string{"stored component component:default/c"})
	if err := s.DeleteLocation(ctx, l.ID); err != nil {
		t.Fatal(err)
	}
	same(t, "delete location", changeList(next(t, ch)), []string{"removed component component:default/c"})
	// A failed write sends nothing.
	if err := s.DeleteEntity(ctx, "no-such-uid"); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("delete missing: %v", err)
	}

	// A slow subscriber misses batches, never blocks the writer, and is
	// told on the next batch it gets.
	slow, cancelSlow := s.SubscribeChanges(1)
	for i := range 3 {
		apply(t, s, full("p3", prepare(t, component("s", fmt.Sprintf("team-%d", i), nil), "file:/s.yaml")))
	}
	if b := next(t, slow); b.Overflow {
		t.Fatal("the first batch is flagged overflow")
	}
	apply(t, s, full("p3", prepare(t, component("s", "team-last", nil), "file:/s.yaml")))
	if b := next(t, slow); !b.Overflow {
		t.Fatal("the batch after dropped ones is not flagged overflow")
	}
	// The other subscriber, with room to spare, got every batch.
	for i := range 4 {
		if b := next(t, ch); b.Overflow {
			t.Fatalf("batch %d flagged overflow", i)
		}
	}
	cancelSlow()
	cancelSlow() // twice is fine
	if _, ok := <-slow; ok {
		t.Fatal("the channel is open after cancel")
	}
	// Writes go on without the cancelled subscriber.
	apply(t, s, full("p3", prepare(t, component("s", "team-again", nil), "file:/s.yaml")))
	same(t, "after cancel", changeList(next(t, ch)), []string{"stored component component:default/s"})
}
