package restapi

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/pont-dev/pont/catalog"
)

// Input limits of the REST API.
const (
	maxFilterStatements = 100
	maxFieldsParams     = 100
	maxOrderFields      = 5
	maxKeyLength        = 200
)

// keyPattern is what a filter, order or field key may look like: a dotted
// path of annotation-like segments.
var keyPattern = regexp.MustCompile(`^[A-Za-z0-9_\-./:]+$`)

// orderable are the roots a caller may order by; ordering by a field the
// caller cannot name is refused rather than sorted by NULL.
var orderable = []string{"kind", "apiVersion", "metadata.", "spec."}

func checkKey(param, key string) error {
	if key == "" || len(key) > maxKeyLength || !keyPattern.MatchString(key) {
		return inputError(param, fmt.Sprintf("%q is not a valid field path", key))
	}
	return nil
}

// parseFilter reads Backstage's filter parameters: each parameter is one
// alternative; inside it, comma-separated key=value statements must all
// hold, values given for the same key are alternatives, and a bare key
// means the key exists.
func parseFilter(values []string) (catalog.Filter, error) {
	var alternatives []catalog.Filter
	total := 0
	for _, raw := range values {
		var leaves []catalog.Filter
		byKey := map[string]int{}
		for _, stmt := range strings.Split(raw, ",") {
			stmt = strings.TrimSpace(stmt)
			if stmt == "" {
				continue
			}
			total++
			if total > maxFilterStatements {
				return catalog.Filter{}, inputError("filter", fmt.Sprintf("more than %d filter statements", maxFilterStatements))
			}
			key, value, hasValue := strings.Cut(stmt, "=")
			key = strings.TrimSpace(key)
			if key == "" {
				return catalog.Filter{}, inputError("filter", fmt.Sprintf("'%s' is not a valid statement (expected a string on the form a=b or a= or a)", stmt))
			}
			if err := checkKey("filter", key); err != nil {
				return catalog.Filter{}, err
			}
			idx, ok := byKey[key]
			if !ok {
				idx = len(leaves)
				byKey[key] = idx
				leaves = append(leaves, catalog.Filter{Key: key, Op: catalog.OpExists})
			}
			if hasValue {
				leaves[idx].Op = catalog.OpIn
				leaves[idx].Values = append(leaves[idx].Values, strings.TrimSpace(value))
			}
		}
		if len(leaves) > 0 {
			alternatives = append(alternatives, catalog.Filter{All: leaves})
		}
	}
	switch len(alternatives) {
	case 0:
		return catalog.Filter{}, nil
	case 1:
		return alternatives[0], nil
	}
	return catalog.Filter{Any: alternatives}, nil
}

// parseFields reads fields=a,b&fields=c.
func parseFields(values []string) ([]string, error) {
	var out []string
	for _, v := range values {
		for _, f := range strings.Split(v, ",") {
			f = strings.TrimSpace(f)
			if f == "" {
				continue
			}
			if err := checkKey("fields", f); err != nil {
				return nil, err
			}
			out = append(out, f)
			if len(out) > maxFieldsParams {
				return nil, inputError("fields", fmt.Sprintf("more than %d fields", maxFieldsParams))
			}
		}
	}
	return out, nil
}

// parseOrder reads order=asc:metadata.name (GET /entities).
func parseOrder(values []string) ([]catalog.OrderField, error) {
	var out []catalog.OrderField
	for _, v := range values {
		dir, field, ok := strings.Cut(v, ":")
		if !ok || (dir != "asc" && dir != "desc") {
			return nil, inputError("order", fmt.Sprintf("%q must be asc:<field> or desc:<field>", v))
		}
		of, err := orderField("order", field, dir == "desc")
		if err != nil {
			return nil, err
		}
		out = append(out, of)
	}
	if len(out) > maxOrderFields {
		return nil, inputError("order", fmt.Sprintf("at most %d order fields", maxOrderFields))
	}
	return out, nil
}

func orderField(param, field string, desc bool) (catalog.OrderField, error) {
	if err := checkKey(param, field); err != nil {
		return catalog.OrderField{}, err
	}
	ok := false
	for _, root := range orderable {
		if field == root || strings.HasPrefix(field, root) && strings.HasSuffix(root, ".") {
			ok = true
		}
	}
	if !ok {
		return catalog.OrderField{}, inputError(param, fmt.Sprintf("cannot order by %q (order by kind, apiVersion, metadata.* or spec.*)", field))
	}
	return catalog.OrderField{Field: field, Desc: desc}, nil
}

// parseOrderFields reads by-query's orderField=metadata.name,asc.
func parseOrderFields(values []string) ([]catalog.OrderField, error) {
	var out []catalog.OrderField
	for _, v := range values {
		field, dir, _ := strings.Cut(v, ",")
		if dir == "" {
			dir = "asc"
		}
		if dir != "asc" && dir != "desc" {
			return nil, inputError("orderField", fmt.Sprintf("%q: order must be asc or desc", v))
		}
		of, err := orderField("orderField", field, dir == "desc")
		if err != nil {
			return nil, err
		}
		out = append(out, of)
	}
	if len(out) > maxOrderFields {
		return nil, inputError("orderField", fmt.Sprintf("at most %d order fields", maxOrderFields))
	}
	return out, nil
}

// intParam reads a non-negative integer parameter.
func intParam(q url.Values, name string, def int) (int, error) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, inputError(name, fmt.Sprintf("%q must be a non-negative integer", v))
	}
	return n, nil
}

// queryCursor is what by-query's opaque cursor carries: the whole query
// and where the page starts. It is checked like fresh input when it comes
// back, so a forged cursor can do no more than the parameters could. A
// predicate query travels under "query", which is how Backstage's client
// knows to send the next page to POST /entities/by-query.
type queryCursor struct {
	Filter       []string        `json:"f,omitempty"`
	Query        json.RawMessage `json:"query,omitempty"`
	Order        []string        `json:"o,omitempty"` // "field,asc" or "field,desc"
	FullText     string          `json:"t,omitempty"`
	FullFields   []string        `json:"tf,omitempty"`
	Offset       int             `json:"off"`
	After        string          `json:"a,omitempty"` // last ref key of the page before, for keyset paging
	TotalItems   int             `json:"n"`
	ExcludeTotal bool            `json:"x,omitempty"`
	IsPrevious   bool            `json:"p,omitempty"`
}

func encodeCursor(c queryCursor) string { return encodeOpaque(c) }

func decodeCursor(s string) (queryCursor, error) {
	var c queryCursor
	if _, err := decodeOpaque(s, &c); err != nil || c.Offset < 0 {
		return c, inputError("cursor", "is malformed")
	}
	return c, nil
}

// encodeOpaque and decodeOpaque carry small cursors as base64 JSON.
func encodeOpaque(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeOpaque(s string, v any) ([]byte, error) {
	if len(s) > 16<<10 {
		return nil, inputError("cursor", "is too long")
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	return b, dec.Decode(v)
}
