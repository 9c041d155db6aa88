package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// manifest is the generator's manifest.json.
type manifest struct {
	N             int                 `json:"n"`
	Seed          int                 `json:"seed"`
	Counts        map[string]int      `json:"counts"`
	Files         int                 `json:"files"`
	RelationCount int                 `json:"relationCount"`
	Names         map[string][]string `json:"names"`
	Expected      map[string][]string `json:"expectedRelations"`

	dir string
}

func loadManifest(dir string) (*manifest, error) {
	f, err := os.Open(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m := &manifest{dir: dir}
	if err := json.NewDecoder(f).Decode(m); err != nil {
		return nil, fmt.Errorf("manifest.json: %w", err)
	}
	if len(m.Expected) != m.N {
		return nil, fmt.Errorf("manifest.json: %d entities in expectedRelations, n is %d", len(m.Expected), m.N)
	}
	for ref, rels := range m.Expected {
		if !slices.IsSorted(rels) {
			s := slices.Clone(rels)
			sort.Strings(s)
			m.Expected[ref] = s
		}
	}
	return m, nil
}

// api is a keep-alive client of one pont's catalog API.
type api struct {
	base string
	hc   *http.Client
}

func newAPI(base string) *api {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 4
	return &api{base: base, hc: &http.Client{Transport: tr, Timeout: 60 * time.Second}}
}

func (a *api) close() { a.hc.CloseIdleConnections() }

// statusError is an unexpected answer, with the request and the response.
type statusError struct {
	method, path string
	status       int
	body         []byte
}

func (e *statusError) Error() string {
	body := strings.TrimSpace(string(e.body))
	if len(body) > 600 {
		body = body[:600] + "…"
	}
	return fmt.Sprintf("%s %s: HTTP %d: %s", e.method, e.path, e.status, body)
}

// do sends a request and reads the whole body.
func (a *api) do(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("%s %s: reading body: %w", method, path, err)
	}
	return resp.StatusCode, b, nil
}

// getJSON GETs path, wants 200 and decodes the body into v.
func (a *api) getJSON(ctx context.Context, path string, v any) error {
	code, body, err := a.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	if code != http.StatusOK {
		return &statusError{"GET", path, code, body}
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: decoding: %w", path, err)
	}
	return nil
}

// count is the catalog's totalItems.
func (a *api) count(ctx context.Context) (int, error) {
	var page struct {
		TotalItems *int `json:"totalItems"`
	}
	const path = "/api/catalog/entities/by-query?limit=1"
	if err := a.getJSON(ctx, path, &page); err != nil {
		return 0, err
	}
	if page.TotalItems == nil {
		return 0, fmt.Errorf("GET %s: no totalItems in the answer", path)
	}
	return *page.TotalItems, nil
}

// registerLocation POSTs the file location and returns the ref of the
// Location entity Pont generates for it.
func (a *api) registerLocation(ctx context.Context, target string) (string, error) {
	body, _ := json.Marshal(map[string]string{"type": "file", "target": target})
	const path = "/api/catalog/locations"
	code, resp, err := a.do(ctx, http.MethodPost, path, body)
	if err != nil {
		return "", err
	}
	if code != http.StatusCreated {
		return "", &statusError{"POST", path + " " + string(body), code, resp}
	}
	var out struct {
		Location struct {
			ID        string `json:"id"`
			EntityRef string `json:"entityRef"`
		} `json:"location"`
	}
	if err := json.Unmarshal(resp, &out); err != nil || out.Location.ID == "" || out.Location.EntityRef == "" {
		return "", fmt.Errorf("POST %s: answer without location id or entityRef: %s", path, resp)
	}
	return out.Location.EntityRef, nil
}

// relMismatch is an entity whose relations differ from the manifest's.
type relMismatch struct {
	Ref            string
	Missing, Extra []string
}

// verification is one complete read of the catalog compared with the
// manifest.
type verification struct {
	Total        int // totalItems of the first page
	Seen         int // entities read
	Pages        int
	Bytes        int64
	Took         time.Duration
	Missing      []string // manifest entities not served
	Unexpected   []string // served entities neither in the manifest nor the two Locations
	Duplicates   []string // entities served twice
	Wrong        []relMismatch
	DupRelations int // relations served twice on one entity (compared as a set)
}

func (v *verification) OK() bool {
	return len(v.Missing) == 0 && len(v.Unexpected) == 0 && len(v.Duplicates) == 0 && len(v.Wrong) == 0
}

// Summary describes what is wrong, with a few examples of each kind.
func (v *verification) Summary() string {
	if v.OK() {
		return fmt.Sprintf("all %d entities correct", v.Seen)
	}
	var parts []string
	ex := func(s []string) string {
		if len(s) > 5 {
			return strings.Join(s[:5], ", ") + fmt.Sprintf(", … (%d more)", len(s)-5)
		}
		return strings.Join(s, ", ")
	}
	if len(v.Missing) > 0 {
		parts = append(parts, fmt.Sprintf("%d entities missing (%s)", len(v.Missing), ex(v.Missing)))
	}
	if len(v.Unexpected) > 0 {
		parts = append(parts, fmt.Sprintf("%d unexpected entities (%s)", len(v.Unexpected), ex(v.Unexpected)))
	}
	if len(v.Duplicates) > 0 {
		parts = append(parts, fmt.Sprintf("%d entities served twice (%s)", len(v.Duplicates), ex(v.Duplicates)))
	}
	if len(v.Wrong) > 0 {
		var w []string
		for i, m := range v.Wrong {
			if i == 3 {
				break
			}
			w = append(w, fmt.Sprintf("%s: missing [%s] extra [%s]", m.Ref, ex(m.Missing), ex(m.Extra)))
		}
		parts = append(parts, fmt.Sprintf("%d entities with wrong relations (%s)", len(v.Wrong), strings.Join(w, "; ")))
	}
	return fmt.Sprintf("totalItems %d, read %d: %s", v.Total, v.Seen, strings.Join(parts, "; "))
}

// verify pages through every entity with its relations and compares each
// with the manifest. extra are the refs allowed beyond the manifest (the
// two Location entities).
func (a *api) verify(ctx context.Context, m *manifest, extra []string) (*verification, error) {
	began := time.Now()
	v := &verification{}
	const fields = "&fields=kind,metadata.namespace,metadata.name,relations"
	path := "/api/catalog/entities/by-query?limit=1000" + fields
	seen := make(map[string]bool, m.N+len(extra))
	allowed := map[string]bool{}
	for _, r := range extra {
		allowed[r] = true
	}
	for {
		var page struct {
			Items []struct {
				Kind     string `json:"kind"`
				Metadata struct {
					Name      string `json:"name"`
					Namespace string `json:"namespace"`
				} `json:"metadata"`
				Relations []struct {
					Type      string `json:"type"`
					TargetRef string `json:"targetRef"`
				} `json:"relations"`
			} `json:"items"`
			TotalItems int `json:"totalItems"`
			PageInfo   struct {
				NextCursor string `json:"nextCursor"`
			} `json:"pageInfo"`
		}
		code, body, err := a.do(ctx, http.MethodGet, path, nil)
		if err != nil {
			return nil, err
		}
		if code != http.StatusOK {
			return nil, &statusError{"GET", path, code, body}
		}
		v.Bytes += int64(len(body))
		if err := json.Unmarshal(body, &page); err != nil {
			return nil, fmt.Errorf("GET %s: decoding: %w", path, err)
		}
		if v.Pages == 0 {
			v.Total = page.TotalItems
		}
		v.Pages++
		for _, it := range page.Items {
			ns := it.Metadata.Namespace
			if ns == "" {
				ns = "default"
			}
			ref := strings.ToLower(it.Kind) + ":" + strings.ToLower(ns) + "/" + it.Metadata.Name
			v.Seen++
			if seen[ref] {
				v.Duplicates = append(v.Duplicates, ref)
				continue
			}
			seen[ref] = true
			want, ok := m.Expected[ref]
			if !ok {
				if !allowed[ref] {
					v.Unexpected = append(v.Unexpected, ref)
				}
				continue
			}
			got := make([]string, 0, len(it.Relations))
			for _, r := range it.Relations {
				got = append(got, r.Type+" "+r.TargetRef)
			}
			sort.Strings(got)
			n := len(got)
			got = slices.Compact(got)
			v.DupRelations += n - len(got)
			if !slices.Equal(got, want) {
				v.Wrong = append(v.Wrong, diff(ref, want, got))
			}
		}
		if page.PageInfo.NextCursor == "" || len(page.Items) == 0 {
			break
		}
		path = "/api/catalog/entities/by-query?limit=1000" + fields + "&cursor=" + url.QueryEscape(page.PageInfo.NextCursor)
	}
	for ref := range m.Expected {
		if !seen[ref] {
			v.Missing = append(v.Missing, ref)
		}
	}
	for _, r := range extra {
		if !seen[r] {
			v.Missing = append(v.Missing, r)
		}
	}
	sort.Strings(v.Missing)
	v.Took = time.Since(began)
	return v, nil
}

func diff(ref string, want, got []string) relMismatch {
	mm := relMismatch{Ref: ref}
	g := map[string]bool{}
	for _, s := range got {
		g[s] = true
	}
	w := map[string]bool{}
	for _, s := range want {
		w[s] = true
		if !g[s] {
			mm.Missing = append(mm.Missing, s)
		}
	}
	for _, s := range got {
		if !w[s] {
			mm.Extra = append(mm.Extra, s)
		}
	}
	return mm
}

// convergence is how an ingest ended.
type convergence struct {
	Took          time.Duration // from t0 to the end of the first fully-correct verification
	CountReached  time.Duration // from t0 to totalItems >= N+2
	Polls         int           // count requests
	Verifications int
	Last          *verification
}

// processingErrors are the status.items of an entity (Pont puts the
// errors of a location's files on its generated Location entity), at most
// five.
func (a *api) processingErrors(ctx context.Context, ref string) ([]string, error) {
	kind, rest, _ := strings.Cut(ref, ":")
	ns, name, _ := strings.Cut(rest, "/")
	var e struct {
		Status struct {
			Items []struct {
				Level   string `json:"level"`
				Message string `json:"message"`
			} `json:"items"`
		} `json:"status"`
	}
	path := "/api/catalog/entities/by-name/" + url.PathEscape(kind) + "/" + url.PathEscape(ns) + "/" + url.PathEscape(name)
	if err := a.getJSON(ctx, path, &e); err != nil {
		return nil, err
	}
	var out []string
	for i, it := range e.Status.Items {
		if i == 5 {
			out = append(out, fmt.Sprintf("… (%d more)", len(e.Status.Items)-5))
			break
		}
		out = append(out, it.Level+": "+it.Message)
	}
	return out, nil
}

// pollInterval is how long waitConverged sleeps between polls: a
// twentieth of the time since t0, between 50 and 500 ms. Polling every
// 50 ms throughout was seen to slow a 10 000-entity ingest on 2 cores by a
// third; this keeps the load low and the error of the figure near 5%.
func pollInterval(since time.Duration) time.Duration {
	return min(500*time.Millisecond, max(50*time.Millisecond, since/20))
}

// waitConverged polls totalItems until it reaches N+2, then verifies
// completely, again and again until a verification is fully correct or
// timeout passes (measured from t0).
//
// When the count has not moved for stallAfter and the generated Location
// entity (generated) carries processing errors, it gives up early with
// those errors: the ingest will not complete.
func (a *api) waitConverged(ctx context.Context, m *manifest, extra []string, generated string, t0 time.Time, timeout time.Duration) (*convergence, error) {
	const stallAfter = 30 * time.Second
	c := &convergence{}
	want := m.N + len(extra)
	lastN, lastChange, lastDiag := -1, time.Now(), time.Now()
	for {
		if ctx.Err() != nil {
			return c, ctx.Err()
		}
		n, err := a.count(ctx)
		if err != nil {
			return c, err
		}
		c.Polls++
		if n != lastN {
			lastN, lastChange = n, time.Now()
		}
		if n < want && time.Since(lastChange) > stallAfter && time.Since(lastDiag) > 10*time.Second {
			lastDiag = time.Now()
			if errs, err := a.processingErrors(ctx, generated); err == nil && len(errs) > 0 {
				return c, fmt.Errorf("totalItems stuck at %d of %d for %s, and %s reports processing errors: %s",
					n, want, time.Since(lastChange).Round(time.Second), generated, strings.Join(errs, "; "))
			}
		}
		if n >= want {
			if c.CountReached == 0 {
				c.CountReached = time.Since(t0)
			}
			v, err := a.verify(ctx, m, extra)
			if err != nil {
				return c, err
			}
			c.Verifications++
			c.Last = v
			if v.OK() {
				c.Took = time.Since(t0)
				return c, nil
			}
		}
		if time.Since(t0) > timeout {
			if c.Last == nil || n < want {
				v, err := a.verify(ctx, m, extra)
				if err == nil {
					c.Last = v
				}
			}
			summary := fmt.Sprintf("totalItems %d of %d", n, want)
			if c.Last != nil {
				summary = c.Last.Summary()
			}
			if errs, err := a.processingErrors(ctx, generated); err != nil {
				summary += fmt.Sprintf("; reading %s: %v", generated, err)
			} else if len(errs) > 0 {
				summary += fmt.Sprintf("; %s reports processing errors: %s", generated, strings.Join(errs, "; "))
			} else {
				summary += fmt.Sprintf("; %s reports no processing error", generated)
			}
			return c, fmt.Errorf("not converged after %s: %s", timeout, summary)
		}
		time.Sleep(pollInterval(time.Since(t0)))
	}
}

// request is one request of a timed phase: a GET of Path, or a POST of
// Body (JSON) to Path.
type request struct {
	Method string
	Path   string
	Body   []byte
	// Label names the request in errors and checks (the GraphQL
	// variables, say); Path when empty.
	Label string
}

func (q request) String() string {
	if q.Label != "" {
		return q.Method + " " + q.Path + " " + q.Label
	}
	return q.Method + " " + q.Path
}

func getRequests(paths []string) []request {
	out := make([]request, len(paths))
	for i, p := range paths {
		out[i] = request{Method: http.MethodGet, Path: p}
	}
	return out
}

// timeRequests sends warm then timed requests sequentially on the
// client's keep-alive connection and returns the time of each timed one:
// from sending the request to the last byte of the body. Every answer must
// be 200 and pass check (called outside the timing, warm answers
// included).
func (a *api) timeRequests(ctx context.Context, warm, timed []request, check func(q request, body []byte) error) ([]time.Duration, error) {
	send := func(q request) (time.Duration, []byte, error) {
		var rd io.Reader
		if q.Body != nil {
			rd = bytes.NewReader(q.Body)
		}
		req, err := http.NewRequestWithContext(ctx, q.Method, a.base+q.Path, rd)
		if err != nil {
			return 0, nil, err
		}
		if q.Body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		t := time.Now()
		resp, err := a.hc.Do(req)
		if err != nil {
			return 0, nil, fmt.Errorf("%s: %w", q, err)
		}
		body, err := io.ReadAll(resp.Body)
		d := time.Since(t)
		resp.Body.Close()
		if err != nil {
			return 0, nil, fmt.Errorf("%s: %w", q, err)
		}
		if resp.StatusCode != http.StatusOK {
			return 0, nil, &statusError{q.Method, strings.TrimSpace(q.Path + " " + q.Label), resp.StatusCode, body}
		}
		return d, body, nil
	}
	for _, q := range warm {
		if _, body, err := send(q); err != nil {
			return nil, err
		} else if err := check(q, body); err != nil {
			return nil, err
		}
	}
	out := make([]time.Duration, 0, len(timed))
	for _, q := range timed {
		d, body, err := send(q)
		if err != nil {
			return nil, err
		}
		if err := check(q, body); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// latencies times sequential GETs of paths after warm GETs that are not
// counted (timeRequests). check validates each body.
func (a *api) latencies(ctx context.Context, warm, paths []string, check func(path string, body []byte) error) ([]time.Duration, error) {
	return a.timeRequests(ctx, getRequests(warm), getRequests(paths), func(q request, body []byte) error { return check(q.Path, body) })
}

// stats are latency percentiles.
type stats struct {
	N             int
	P50, P95, P99 time.Duration
	Max           time.Duration
}

func percentiles(ds []time.Duration) stats {
	if len(ds) == 0 {
		return stats{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := func(q float64) time.Duration {
		// nearest rank
		i := int(float64(len(s))*q+0.999999) - 1
		return s[max(0, min(i, len(s)-1))]
	}
	return stats{N: len(s), P50: rank(0.50), P95: rank(0.95), P99: rank(0.99), Max: s[len(s)-1]}
}
