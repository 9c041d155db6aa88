package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The GraphQL queries of issue 4's benchmark, sent as they are shown in
// docs/benchmarks.md.
const (
	graphqlPath = "/api/graphql"

	gqlListQuery = `{ entities(first: 50, where: {kind: "component"}) { edges { node { ref owner { ref } ... on Component { system { ref } providesApis { ref } } } } } }`

	gqlGraphDepth = 3
	gqlGraphQuery = `query($ref: String!) { graph(ref: $ref, depth: 3) { nodes { ref } edges { source type target } truncated } }`

	gqlSearchFirst = 20
	gqlSearchQuery = `query($q: String!) { search(query: $q, first: 20) { totalCount nodes { ref } } }`
)

// gqlCommonWords are the many-hits searches: the generator's languages,
// one of which every Component's description and tags name.
var gqlCommonWords = []string{"go", "java", "typescript", "python", "kotlin", "rust"}

// gqlResult is the GraphQL phase of one run.
type gqlResult struct {
	List, Graph, Search, Common stats
	Phase                       time.Duration

	// Over the timed graph requests.
	NodesMean, EdgesMean float64
	NodesMin, NodesMax   int
	Truncated            int // answers with truncated: true

	SearchTotalMean float64        // mean totalCount of the by-name searches
	CommonTotals    map[string]int // totalCount of each common word
	CommonTotalMean float64        // over the timed common-word requests

	ds struct{ list, graph, search, common []time.Duration }
}

// Words is the common words with their totalCount, for the report.
func (g *gqlResult) Words() string {
	var parts []string
	for _, w := range gqlCommonWords {
		if n, ok := g.CommonTotals[w]; ok {
			parts = append(parts, fmt.Sprintf("%s %s", w, thousands(n)))
		}
	}
	return strings.Join(parts, ", ")
}

func gqlRequest(query string, vars map[string]any, label string) request {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return request{Method: http.MethodPost, Path: graphqlPath, Body: b, Label: label}
}

// gqlDecode decodes a GraphQL answer into data, failing on any error.
func gqlDecode(q request, body []byte, data any) error {
	var resp struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return fmt.Errorf("%s: decoding: %w", q, err)
	}
	if len(resp.Errors) > 0 {
		var msgs []string
		for _, e := range resp.Errors {
			msgs = append(msgs, e.Message)
		}
		return fmt.Errorf("%s: %d error(s): %s", q, len(resp.Errors), strings.Join(msgs, "; "))
	}
	if len(resp.Data) == 0 || string(resp.Data) == "null" {
		return fmt.Errorf("%s: no data", q)
	}
	if err := json.Unmarshal(resp.Data, data); err != nil {
		return fmt.Errorf("%s: decoding data: %w", q, err)
	}
	return nil
}

// spread picks n names spread evenly through names, starting at off (a
// fraction of the step), so warm-up and timed requests ask for different
// names.
func spread(names []string, n int, off float64) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = names[int((float64(i)+off)*float64(len(names))/float64(n))%len(names)]
	}
	return out
}

// measureGraphQL times the four GraphQL queries, each with warmRequests
// uncounted then timedRequests timed POSTs, sequential, on one keep-alive
// connection, every answer checked.
func measureGraphQL(ctx context.Context, c *api, m *manifest) (*gqlResult, error) {
	g := &gqlResult{CommonTotals: map[string]int{}}
	began := time.Now()
	defer func() { g.Phase = time.Since(began) }()
	comps := m.Names["Component"]
	if len(comps) == 0 {
		return g, fmt.Errorf("the manifest names no Component")
	}

	// 1. The list.
	wantList := min(50, len(comps))
	list := gqlRequest(gqlListQuery, nil, "list")
	ds, err := c.timeRequests(ctx, repeatReq(list, warmRequests), repeatReq(list, timedRequests), func(q request, body []byte) error {
		var data struct {
			Entities struct {
				Edges []struct {
					Node *struct {
						Ref   string `json:"ref"`
						Owner *struct {
							Ref string `json:"ref"`
						} `json:"owner"`
						System *struct {
							Ref string `json:"ref"`
						} `json:"system"`
						ProvidesApis []struct {
							Ref string `json:"ref"`
						} `json:"providesApis"`
					} `json:"node"`
				} `json:"edges"`
			} `json:"entities"`
		}
		if err := gqlDecode(q, body, &data); err != nil {
			return err
		}
		if len(data.Entities.Edges) != wantList {
			return fmt.Errorf("%s: %d edges, want %d", q, len(data.Entities.Edges), wantList)
		}
		for _, e := range data.Entities.Edges {
			switch {
			case e.Node == nil || !strings.HasPrefix(strings.ToLower(e.Node.Ref), "component:"):
				return fmt.Errorf("%s: an edge without a component node", q)
			case e.Node.Owner == nil || e.Node.Owner.Ref == "":
				return fmt.Errorf("%s: %s without owner", q, e.Node.Ref)
			case e.Node.System == nil || e.Node.System.Ref == "":
				return fmt.Errorf("%s: %s without system", q, e.Node.Ref)
			}
			if e.Node.ProvidesApis == nil {
				return fmt.Errorf("%s: %s without providesApis", q, e.Node.Ref)
			}
		}
		return nil
	})
	if err != nil {
		return g, fmt.Errorf("list: %w", err)
	}
	g.List, g.ds.list = percentiles(ds), ds

	// 2. The depth-3 neighbourhood of components spread through the manifest.
	graphReqs := func(names []string) []request {
		out := make([]request, len(names))
		for i, n := range names {
			ref := "component:default/" + n
			out[i] = gqlRequest(gqlGraphQuery, map[string]any{"ref": ref}, ref)
		}
		return out
	}
	// Every answer's figures, warm-up first: the tail is the timed ones.
	var nodeCounts, edgeCounts []int
	var truncated []bool
	ds, err = c.timeRequests(ctx, graphReqs(spread(comps, warmRequests, 0.5)), graphReqs(spread(comps, timedRequests, 0)), func(q request, body []byte) error {
		var data struct {
			Graph struct {
				Nodes []struct {
					Ref string `json:"ref"`
				} `json:"nodes"`
				Edges []struct {
					Source string `json:"source"`
					Type   string `json:"type"`
					Target string `json:"target"`
				} `json:"edges"`
				Truncated *bool `json:"truncated"`
			} `json:"graph"`
		}
		if err := gqlDecode(q, body, &data); err != nil {
			return err
		}
		gr := data.Graph
		if len(gr.Nodes) == 0 || strings.ToLower(gr.Nodes[0].Ref) != q.Label {
			return fmt.Errorf("%s: the first node is not the root (%d nodes)", q, len(gr.Nodes))
		}
		if gr.Truncated == nil {
			return fmt.Errorf("%s: no truncated field", q)
		}
		nodes := make(map[string]bool, len(gr.Nodes))
		for _, n := range gr.Nodes {
			k := strings.ToLower(n.Ref)
			if nodes[k] {
				return fmt.Errorf("%s: node %s twice", q, n.Ref)
			}
			nodes[k] = true
		}
		if len(gr.Nodes) > 1 && len(gr.Edges) == 0 {
			return fmt.Errorf("%s: %d nodes and no edge", q, len(gr.Nodes))
		}
		for _, e := range gr.Edges {
			if e.Type == "" || !nodes[strings.ToLower(e.Source)] || !nodes[strings.ToLower(e.Target)] {
				return fmt.Errorf("%s: edge %s %s %s between nodes not served", q, e.Source, e.Type, e.Target)
			}
		}
		nodeCounts = append(nodeCounts, len(gr.Nodes))
		edgeCounts = append(edgeCounts, len(gr.Edges))
		truncated = append(truncated, *gr.Truncated)
		return nil
	})
	if err != nil {
		return g, fmt.Errorf("graph: %w", err)
	}
	g.Graph, g.ds.graph = percentiles(ds), ds
	nodeCounts, edgeCounts, truncated = nodeCounts[warmRequests:], edgeCounts[warmRequests:], truncated[warmRequests:]
	g.NodesMean, g.EdgesMean = mean(nodeCounts), mean(edgeCounts)
	g.NodesMin, g.NodesMax = slices.Min(nodeCounts), slices.Max(nodeCounts)
	for _, t := range truncated {
		if t {
			g.Truncated++
		}
	}

	// 3. Search for a component by its name: the component must be among
	// the hits.
	searchReqs := func(words []string) []request {
		out := make([]request, len(words))
		for i, w := range words {
			out[i] = gqlRequest(gqlSearchQuery, map[string]any{"q": w}, w)
		}
		return out
	}
	type searchData struct {
		Search struct {
			TotalCount *int `json:"totalCount"`
			Nodes      []struct {
				Ref string `json:"ref"`
			} `json:"nodes"`
		} `json:"search"`
	}
	decodeSearch := func(q request, body []byte) (*searchData, error) {
		var data searchData
		if err := gqlDecode(q, body, &data); err != nil {
			return nil, err
		}
		s := data.Search
		if s.TotalCount == nil {
			return nil, fmt.Errorf("%s: no totalCount", q)
		}
		if len(s.Nodes) != min(gqlSearchFirst, *s.TotalCount) {
			return nil, fmt.Errorf("%s: %d nodes of totalCount %d, want %d", q, len(s.Nodes), *s.TotalCount, min(gqlSearchFirst, *s.TotalCount))
		}
		for _, n := range s.Nodes {
			if n.Ref == "" {
				return nil, fmt.Errorf("%s: a node without ref", q)
			}
		}
		return &data, nil
	}
	var totals []int
	ds, err = c.timeRequests(ctx, searchReqs(spread(comps, warmRequests, 0.5)), searchReqs(spread(comps, timedRequests, 0)), func(q request, body []byte) error {
		data, err := decodeSearch(q, body)
		if err != nil {
			return err
		}
		want := "component:default/" + strings.ToLower(q.Label)
		if !slices.ContainsFunc(data.Search.Nodes, func(n struct {
			Ref string `json:"ref"`
		}) bool {
			return strings.ToLower(n.Ref) == want
		}) {
			return fmt.Errorf("%s: %s is not among the %d hits served (totalCount %d)", q, want, len(data.Search.Nodes), *data.Search.TotalCount)
		}
		totals = append(totals, *data.Search.TotalCount)
		return nil
	})
	if err != nil {
		return g, fmt.Errorf("search by name: %w", err)
	}
	g.Search, g.ds.search = percentiles(ds), ds
	g.SearchTotalMean = mean(totals[warmRequests:])

	// 4. Search for common words: many hits, a full first page.
	totals = nil
	ds, err = c.timeRequests(ctx, searchReqs(cycle(gqlCommonWords, warmRequests)), searchReqs(cycle(gqlCommonWords, timedRequests)), func(q request, body []byte) error {
		data, err := decodeSearch(q, body)
		if err != nil {
			return err
		}
		n := *data.Search.TotalCount
		if n == 0 {
			return fmt.Errorf("%s: no hit", q)
		}
		if prev, ok := g.CommonTotals[q.Label]; ok && prev != n {
			return fmt.Errorf("%s: totalCount %d, earlier %d", q, n, prev)
		}
		g.CommonTotals[q.Label] = n
		totals = append(totals, n)
		return nil
	})
	if err != nil {
		return g, fmt.Errorf("search for common words: %w", err)
	}
	g.Common, g.ds.common = percentiles(ds), ds
	g.CommonTotalMean = mean(totals[warmRequests:])
	return g, nil
}

func repeatReq(q request, n int) []request {
	out := make([]request, n)
	for i := range out {
		out[i] = q
	}
	return out
}

func mean(xs []int) float64 {
	if len(xs) == 0 {
		return 0
	}
	sum := 0
	for _, x := range xs {
		sum += x
	}
	return float64(sum) / float64(len(xs))
}

func cycle(words []string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = words[i%len(words)]
	}
	return out
}
