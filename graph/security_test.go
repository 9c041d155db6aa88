package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/graph"
	"github.com/pont-dev/pont/internal/auth/principal"
	"github.com/pont-dev/pont/internal/config"
	"github.com/pont-dev/pont/internal/testutil/dbtest"
	"github.com/pont-dev/pont/internal/testutil/graphtest"
)

// The cases of security-cases.md section 4 (GraphQL), one test each.

// rawResponse is an answer as sent: status, body and the decoded errors.
type rawResponse struct {
	Status int
	Body   string
	Errors []gqlError
	Data   map[string]any
}

// do serves req as p (nil: anonymous) and checks the body leaks nothing.
func do(t testing.TB, h http.Handler, p *principal.Principal, req *http.Request) rawResponse {
	t.Helper()
	if p != nil {
		req = req.WithContext(principal.NewContext(req.Context(), p))
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	out := rawResponse{Status: rec.Code, Body: rec.Body.String()}
	var body struct {
		Data   map[string]any `json:"data"`
		Errors []gqlError     `json:"errors"`
	}
	if json.Unmarshal(rec.Body.Bytes(), &body) == nil {
		out.Errors, out.Data = body.Errors, body.Data
	}
	for _, bad := range []string{"SELECT ", "INSERT ", "goroutine ", ".go:", "SQLSTATE", "runtime error", "panic("} {
		if strings.Contains(out.Body, bad) {
			t.Errorf("response leaks %q: %.500s", bad, out.Body)
		}
	}
	return out
}

func postJSON(query string, vars map[string]any) *http.Request {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req := httptest.NewRequest(http.MethodPost, "/api/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return req
}

// limitRefusal requires one error with code and a limit among keys.
func limitRefusal(t testing.TB, what string, res rawResponse, code string, keys ...string) {
	t.Helper()
	if len(res.Errors) == 0 {
		t.Fatalf("%s: not refused (status %d, %.300s)", what, res.Status, res.Body)
	}
	e := res.Errors[0]
	if e.Extensions["code"] != code {
		t.Fatalf("%s: code %v, want %s: %+v", what, e.Extensions["code"], code, e)
	}
	if len(keys) > 0 {
		limit, _ := e.Extensions["limit"].(string)
		found := false
		for _, k := range keys {
			found = found || limit == k
		}
		if !found {
			t.Fatalf("%s: limit %q, want one of %v: %+v", what, limit, keys, e)
		}
	}
	if res.Data != nil && len(res.Data) > 0 {
		t.Errorf("%s: data despite the refusal: %v", what, res.Data)
	}
}

func TestSecurityLimits(t *testing.T) {
	for name, cfg := range graphtest.Dialects(t) {
		t.Run(name, func(t *testing.T) {
			env := graphtest.New(t, cfg, graphtest.Options{Teams: 2, ComponentsPerTeam: 2})
			a := newAPI(t, env, graph.Limits{})
			me := env.Principal("someone")

			t.Run("depth 50 is refused before any resolver runs", func(t *testing.T) {
				var b strings.Builder
				b.WriteString(`{ entity(ref: "svc-0-0") { `)
				for range 25 {
					b.WriteString(`owner { ... on Group { ownedEntities { `)
				}
				b.WriteString(`ref`)
				for range 25 {
					b.WriteString(` } } }`)
				}
				b.WriteString(` } }`)
				before := env.Statements()
				res := do(t, a.h, me, postJSON(b.String(), nil))
				if n := env.Statements() - before; n != 0 {
					t.Errorf("%d statements ran for a refused query", n)
				}
				limitRefusal(t, "depth 50", res, "COMPLEXITY_LIMIT_EXCEEDED", "graphql.maxDepth", "graphql.maxComplexity")
				if res.Status != http.StatusUnprocessableEntity {
					t.Errorf("status %d, want 422", res.Status)
				}
			})

			t.Run("nested lists cost their product", func(t *testing.T) {
				// first (a literal: int64; a variable: json.Number) weighs.
				if !pageOf500Refused(t, env) {
					t.Fatal("first is not weighted: a page of 500 passes maxComplexity 1000")
				}
				// 8 levels deep (under maxDepth), but a page of 200 entities,
				// each with its relations' relations, costs more than allowed.
				q := `{ entities(first: 200) { edges { node { relations { target { relations { target { ref } } } } } } } }`
				before := env.Statements()
				res := do(t, a.h, me, postJSON(q, nil))
				if n := env.Statements() - before; n != 0 {
					t.Errorf("%d statements ran for a refused query", n)
				}
				limitRefusal(t, "nested lists", res, "COMPLEXITY_LIMIT_EXCEEDED", "graphql.maxComplexity", "graphql.maxDepth")
			})

			t.Run("5000 aliases are refused", func(t *testing.T) {
				var b strings.Builder
				b.WriteString("{")
				for i := range 5000 {
					fmt.Fprintf(&b, " a%d: viewer { kind }", i)
				}
				b.WriteString(" }")
				// With the default limits the token limit refuses it first.
				res := do(t, a.h, me, postJSON(b.String(), nil))
				if len(res.Errors) == 0 || res.Status == http.StatusOK && res.Data != nil {
					t.Fatalf("5000 aliases: %.300s", res.Body)
				}
				// With a token limit out of the way, maxAliases does.
				limits := graph.DefaultLimits()
				limits.MaxTokens = 1 << 20
				big := newAPI(t, env, limits)
				before := env.Statements()
				res = do(t, big.h, me, postJSON(b.String(), nil))
				limitRefusal(t, "5000 aliases", res, "COMPLEXITY_LIMIT_EXCEEDED", "graphql.maxAliases")
				if n := env.Statements() - before; n != 0 {
					t.Errorf("%d statements ran for a refused query", n)
				}
			})

			t.Run("10k directives and 1 MB of __typename hit the token limit", func(t *testing.T) {
				for what, q := range map[string]string{
					"10k @include":    "{ viewer { kind" + strings.Repeat(" @include(if: true)", 10000) + " } }",
					"1 MB __typename": "{" + strings.Repeat(" __typename", (1<<20)/11) + " }",
				} {
					res := do(t, a.h, me, postJSON(q, nil))
					if len(res.Errors) == 0 || res.Data != nil {
						t.Fatalf("%s: not refused: %.300s", what, res.Body)
					}
					if !strings.Contains(res.Errors[0].Message, "token limit") {
						t.Errorf("%s: refused for %q, want the token limit", what, res.Errors[0].Message)
					}
					if res.Status != http.StatusUnprocessableEntity {
						t.Errorf("%s: status %d, want 422", what, res.Status)
					}
				}
			})

			t.Run("a batch is refused, every time", func(t *testing.T) {
				for range 3 {
					req := httptest.NewRequest(http.MethodPost, "/api/graphql", strings.NewReader(`[{"query":"{ viewer { kind } }"},{"query":"{ viewer { name } }"}]`))
					req.Header.Set("Content-Type", "application/json")
					res := do(t, a.h, me, req)
					if res.Status != http.StatusBadRequest {
						t.Fatalf("batch: status %d: %.300s", res.Status, res.Body)
					}
				}
			})

			t.Run("introspection only when configured", func(t *testing.T) {
				const q = `{ __schema { types { name } } }`
				res := do(t, a.h, me, postJSON(q, nil))
				if len(res.Errors) == 0 {
					t.Fatalf("introspection off but answered: %.300s", res.Body)
				}
				res = do(t, a.h, me, postJSON(`{ __type(name: "Entity") { name fields { name } } }`, nil))
				if len(res.Errors) == 0 {
					t.Fatalf("__type answered with introspection off: %.300s", res.Body)
				}
				limits := graph.DefaultLimits()
				limits.Introspection = true
				on := newAPI(t, env, limits)
				res = do(t, on.h, me, postJSON(q, nil))
				if len(res.Errors) > 0 || at(res.Data, "__schema.types.0.name") == nil {
					t.Fatalf("introspection on: %.300s", res.Body)
				}
				// Even on, an anonymous caller learns nothing.
				res = do(t, on.h, nil, postJSON(q, nil))
				if len(res.Errors) == 0 || at(res.Data, "__schema") != nil {
					t.Errorf("anonymous introspection: %.300s", res.Body)
				}
			})

			t.Run("no suggestions", func(t *testing.T) {
				res := do(t, a.h, me, postJSON(`{ viewr { kind } entity(ref: "x") { nme } }`, nil))
				if len(res.Errors) == 0 {
					t.Fatal("misspelt fields answered")
				}
				for _, e := range res.Errors {
					if strings.Contains(e.Message, "Did you mean") {
						t.Errorf("suggestion: %q", e.Message)
					}
				}
			})

			t.Run("CSRF: transports", func(t *testing.T) {
				get := func(q string) *http.Request {
					return httptest.NewRequest(http.MethodGet, "/api/graphql?query="+url.QueryEscape(q), nil)
				}
				before, _ := env.DB.Ent.Location.Query().Count(sys())
				res := do(t, a.h, me, get(`mutation { deleteEntity(ref: "svc-0-0") }`))
				if res.Status != http.StatusNotAcceptable {
					t.Errorf("GET mutation: status %d, want 406: %.300s", res.Status, res.Body)
				}
				(&fixture{t: t, env: env}).wantEntity("component:default/svc-0-0")
				res = do(t, a.h, me, get(`{ viewer { kind } }`))
				if res.Status != http.StatusOK || at(res.Data, "viewer.kind") != "session" {
					t.Errorf("GET query: status %d: %.300s", res.Status, res.Body)
				}

				body := `{"query":"mutation { registerLocation(input: {type: \"file\", target: \"x.yaml\"}) { exists } }"}`
				req := httptest.NewRequest(http.MethodPost, "/api/graphql", strings.NewReader(body))
				req.Header.Set("Content-Type", "text/plain")
				res = do(t, a.h, me, req)
				if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, "transport not supported") {
					t.Errorf("POST text/plain: status %d: %.300s", res.Status, res.Body)
				}

				var mp bytes.Buffer
				w := multipart.NewWriter(&mp)
				w.WriteField("operations", body)
				w.WriteField("map", "{}")
				w.Close()
				req = httptest.NewRequest(http.MethodPost, "/api/graphql", &mp)
				req.Header.Set("Content-Type", w.FormDataContentType())
				if res = do(t, a.h, me, req); res.Status == http.StatusOK {
					t.Errorf("multipart: status 200: %.300s", res.Body)
				}

				form := url.Values{"query": {`mutation { deleteEntity(ref: "svc-0-0") }`}}
				req = httptest.NewRequest(http.MethodPost, "/api/graphql", strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				if res = do(t, a.h, me, req); res.Status == http.StatusOK {
					t.Errorf("form post: status 200: %.300s", res.Body)
				}
				(&fixture{t: t, env: env}).wantEntity("component:default/svc-0-0")
				if after, _ := env.DB.Ent.Location.Query().Count(sys()); after != before {
					t.Errorf("a refused transport registered a location")
				}
			})

			t.Run("page sizes and graph depth are limited", func(t *testing.T) {
				for _, q := range []string{
					`{ entities(first: 100000) { totalCount } }`,
					`{ search(query: "svc", first: 100000) { totalCount } }`,
				} {
					res := do(t, a.h, me, postJSON(q, nil))
					if len(res.Errors) == 0 {
						t.Fatalf("%s answered", q)
					}
					code := res.Errors[0].Extensions["code"]
					limit := res.Errors[0].Extensions["limit"]
					if !(code == "LIMIT_EXCEEDED" && limit == "graphql.maxPageSize") && !(code == "COMPLEXITY_LIMIT_EXCEEDED" && limit == "graphql.maxComplexity") {
						t.Errorf("%s: %+v", q, res.Errors[0])
					}
				}
				// Just over the page size, under the cost limit: the resolver
				// refuses it, naming the limit.
				for _, q := range []string{
					`{ entities(first: 501) { totalCount } }`,
					`{ search(query: "svc", first: 501) { totalCount } }`,
					`{ apiTokens(first: 501) { totalCount } }`,
					`{ locations(last: 501) { totalCount } }`,
					`{ entities(first: -1) { totalCount } }`,
				} {
					limitRefusal(t, q, do(t, a.h, me, postJSON(q, nil)), "LIMIT_EXCEEDED", "graphql.maxPageSize")
				}
				limits := graph.DefaultLimits()
				limits.MaxComplexity = 1 << 30
				loose := newAPI(t, env, limits)
				limitRefusal(t, "first: 100000", do(t, loose.h, me, postJSON(`{ entities(first: 100000) { totalCount } }`, nil)), "LIMIT_EXCEEDED", "graphql.maxPageSize")

				q := fmt.Sprintf(`{ graph(ref: "svc-0-0", depth: %d) { nodes { ref } } }`, graph.DefaultLimits().MaxGraphDepth+1)
				limitRefusal(t, "graph depth", do(t, a.h, me, postJSON(q, nil)), "LIMIT_EXCEEDED", "graphql.maxGraphDepth")
				limitRefusal(t, "graph depth -1", do(t, a.h, me, postJSON(`{ graph(ref: "svc-0-0", depth: -1) { nodes { ref } } }`, nil)), "LIMIT_EXCEEDED", "graphql.maxGraphDepth")
			})

			t.Run("a resolver panic is an internal system error", func(t *testing.T) {
				h := graph.NewHandler(graph.Deps{
					Client: env.Client, Store: panicStore{env.Store}, Locations: env.Locations, Processor: env.Processor,
					Policy: env.Policy, Audit: env.Audit, Limits: graph.DefaultLimits(),
				})
				res := do(t, h, me, postJSON(`{ search(query: "svc") { totalCount } }`, nil))
				if len(res.Errors) != 1 || res.Errors[0].Extensions["code"] != "INTERNAL" || res.Errors[0].Message != "internal system error" {
					t.Fatalf("panic: status %d: %.500s", res.Status, res.Body)
				}
				if strings.Contains(res.Body, "secret detail") {
					t.Errorf("the panic value leaks: %s", res.Body)
				}
				// The server goes on answering.
				if res := do(t, h, me, postJSON(`{ viewer { kind } }`, nil)); len(res.Errors) > 0 {
					t.Errorf("after a panic: %s", res.Body)
				}
			})

			t.Run("timeout", func(t *testing.T) {
				// A resolver still running at graphql.timeout: TIMEOUT,
				// naming the limit.
				limits := graph.DefaultLimits()
				limits.Timeout = 50 * time.Millisecond
				h := graph.NewHandler(graph.Deps{
					Client: env.Client, Store: slowStore{env.Store}, Locations: env.Locations, Processor: env.Processor,
					Policy: env.Policy, Audit: env.Audit, Limits: limits,
				})
				res := do(t, h, me, postJSON(`{ search(query: "svc") { totalCount } }`, nil))
				if res.Status != http.StatusOK || len(res.Errors) != 1 || res.Errors[0].Extensions["code"] != "TIMEOUT" || res.Errors[0].Extensions["limit"] != "graphql.timeout" {
					t.Errorf("slow resolver: status %d: %.500s", res.Status, res.Body)
				}
				// A deadline that passes before execution starts (1ns): the
				// same answer, not a bare null, not a 500.
				limits.Timeout = time.Nanosecond
				res = do(t, newAPI(t, env, limits).h, me, postJSON(`{ entities(first: 5) { totalCount } }`, nil))
				if res.Status >= 500 {
					t.Fatalf("1ns timeout: status %d, body %.300s", res.Status, res.Body)
				}
				if len(res.Errors) != 1 || res.Errors[0].Extensions["code"] != "TIMEOUT" || res.Errors[0].Extensions["limit"] != "graphql.timeout" {
					t.Errorf("1ns timeout: status %d, body %.300s", res.Status, res.Body)
				}
			})

			t.Run("hidden and missing answer alike", func(t *testing.T) {
				fx := &fixture{t: t, env: env}
				ta := newAuthzAPI(t, env, nil, nil)
				other := env.Principal("team-1-a", "team-1")
				tokenID := fx.newToken(other)
				fakeTokens{env.DB.Ent}.MintToken(context.Background(), me, "mine", nil, 0)
				ta.post(me, `{ auditEvents { totalCount } }`, nil) // a denied read: an audit event
				ev, err := env.DB.Ent.AuditEvent.Query().First(sys())
				if err != nil {
					t.Fatal(err)
				}
				const q = `query($id: ID!) { node(id: $id) { id } nodes(ids: [$id]) { id } }`
				missing := do(t, ta.h, me, postJSON(q, map[string]any{"id": "00000000-0000-7000-8000-000000000000"}))
				for what, id := range map[string]string{"someone else's token": tokenID, "an audit event": ev.ID} {
					got := do(t, ta.h, me, postJSON(q, map[string]any{"id": id}))
					if got.Body != missing.Body || len(got.Errors) > 0 {
						t.Errorf("node of %s: %s, missing: %s", what, got.Body, missing.Body)
					}
				}
				// An admin reads them.
				root := env.Principal("root")
				root.Admin = true
				got := do(t, ta.h, root, postJSON(q, map[string]any{"id": tokenID}))
				if at(got.Data, "node.id") != tokenID {
					t.Errorf("admin's node of a token: %s", got.Body)
				}
				// Revoking someone else's token: as if there were none.
				rv := `mutation($id: ID!) { revokeAPIToken(id: $id) { id } }`
				a1 := do(t, ta.h, me, postJSON(rv, map[string]any{"id": tokenID}))
				a2 := do(t, ta.h, me, postJSON(rv, map[string]any{"id": "no-such-token"}))
				if len(a1.Errors) != 1 || len(a2.Errors) != 1 || a1.Errors[0].Message != a2.Errors[0].Message || a1.Errors[0].Extensions["code"] != a2.Errors[0].Extensions["code"] {
					t.Errorf("revoke of another's token %s vs missing %s", a1.Body, a2.Body)
				}
			})
		})
	}
}

// TestComplexityCountsPerPageOnce: what a page costs once (totalCount,
// pageInfo) is not multiplied by its size, and __typename is free, so a
// client such as urql, which adds __typename everywhere, pays for the rows
// it asks for.
// perPageCost is the most a page's totalCount and pageInfo may add.
const perPageCost = 5

func TestComplexityCountsPerPageOnce(t *testing.T) {
	env := graphtest.New(t, graphtest.Dialects(t)["sqlite"], graphtest.Options{Teams: 1, ComponentsPerTeam: 1})
	limits := graph.DefaultLimits()
	limits.MaxComplexity = 1 // everything is refused, with its cost
	a := newAPI(t, env, limits)
	cost := func(q string) int {
		res := do(t, a.h, env.Principal("someone"), postJSON(q, nil))
		var n int
		if len(res.Errors) == 0 {
			t.Fatalf("%s: not refused", q)
		}
		if _, err := fmt.Sscanf(res.Errors[0].Message, "the query costs %d", &n); err != nil {
			t.Fatalf("%s: %s", q, res.Errors[0].Message)
		}
		return n
	}
	bare := cost(`{ entities(first: 100) { edges { node { ref } } } }`)
	full := cost(`{ entities(first: 100) { __typename totalCount pageInfo { __typename hasNextPage endCursor } edges { __typename node { __typename ref } } } }`)
	if full-bare > perPageCost || bare < 100 {
		t.Errorf("a page of 100 costs %d bare and %d with totalCount, pageInfo and __typename", bare, full)
	}
}

// pageOf500Refused reports whether a page of 500 entities is refused at
// maxComplexity 1000, as it is when first is weighted.
func pageOf500Refused(t *testing.T, env *graphtest.Env) bool {
	limits := graph.DefaultLimits()
	limits.MaxComplexity = 1000
	a := newAPI(t, env, limits)
	res := do(t, a.h, env.Principal("someone"), postJSON(`{ entities(first: 500) { edges { node { ref } } } }`, nil))
	return len(res.Errors) > 0 && res.Errors[0].Extensions["limit"] == "graphql.maxComplexity"
}

// slowStore's search runs until its context ends.
type slowStore struct{ catalog.Store }

func (slowStore) SearchText(ctx context.Context, _ catalog.TextQuery) (*catalog.TextPage, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// panicStore panics on search, as a resolver bug would.
type panicStore struct{ catalog.Store }

func (panicStore) SearchText(context.Context, catalog.TextQuery) (*catalog.TextPage, error) {
	panic("secret detail: boom")
}

func TestHiddenEntitiesAnswerAsMissing(t *testing.T) {
	for name, cfg := range graphtest.Dialects(t) {
		t.Run(name, func(t *testing.T) {
			env := graphtest.New(t, cfg, graphtest.Options{Teams: 1, ComponentsPerTeam: 1, Policy: config.Policy{ReadKinds: []string{"component"}}})
			a := newAPI(t, env, graph.Limits{})
			me := env.Principal("team-0-a", "team-0")
			uid := (&fixture{t: t, env: env}).entityUID("group:default/team-0")
			const q = `query($id: ID!, $ref: String!) { node(id: $id) { id } entity(ref: $ref) { ref } }`
			hidden := do(t, a.h, me, postJSON(q, map[string]any{"id": uid, "ref": "group:team-0"}))
			missing := do(t, a.h, me, postJSON(q, map[string]any{"id": "00000000-0000-4000-8000-000000000000", "ref": "group:nobody"}))
			if hidden.Body != missing.Body || len(hidden.Errors) > 0 {
				t.Errorf("hidden %s, missing %s", hidden.Body, missing.Body)
			}
		})
	}
}

func TestWebSocketOrigin(t *testing.T) {
	env := graphtest.New(t, dbtest.SQLite(t), graphtest.Options{Teams: 1, ComponentsPerTeam: 1})
	me := env.Principal("someone")
	limits := graph.DefaultLimits()
	limits.AllowedOrigins = []string{"https://pont.example.com"}
	a := newAPI(t, env, limits)
	srv := serveAs(t, a.h, me)

	for origin, allowed := range map[string]bool{
		"https://evil.example.com": false,
		"http://evil.example.com":  false,
		"null":                     false,
		"https://pont.example.com": true,
		srv.URL:                    true, // same origin as the Host
		"":                         true, // no Origin: not a browser
	} {
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		c, resp, err := graphtest.DialWS(t, srv.URL, h)
		if allowed {
			if err != nil {
				t.Errorf("Origin %q refused: %v", origin, err)
				continue
			}
			c.Conn.Close(websocket.StatusNormalClosure, "")
			continue
		}
		if err == nil {
			c.Conn.CloseNow()
			t.Errorf("Origin %q accepted", origin)
			continue
		}
		if resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("Origin %q: %v, response %v", origin, err, resp)
		}
	}

	t.Run("payload limit", func(t *testing.T) {
		ws, acked := subscribe(t, a.h, me, `subscription { entityChanged { ref } }`, nil)
		if !acked {
			t.Fatal("not acknowledged")
		}
		big := `{"id":"2","type":"subscribe","payload":{"query":"subscription { entityChanged { ref } }","variables":{"x":"` + strings.Repeat("x", 2<<20) + `"}}}`
		ws.Conn.Write(context.Background(), websocket.MessageText, []byte(big))
		select {
		case err := <-ws.Done:
			if websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
				t.Logf("closed with %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("a 2 MB message was read")
		}
	})
}

var _ = io.Discard
