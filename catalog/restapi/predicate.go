package restapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/pont-dev/pont/catalog"
)

// Limits of a predicate query.
const (
	maxPredicateDepth = 16
	maxPredicateNodes = 200
)

// parsePredicate reads a Backstage predicate query: {$all: [...]},
// {$any: [...]}, {$not: {...}}, and per key a value (equality) or one of
// {$exists: bool}, {$in: [...]}, {$hasPrefix: "..."}, {$contains: value}.
// Several keys in one object must all hold.
func parsePredicate(field string, raw json.RawMessage) (catalog.Filter, error) {
	if len(bytes.TrimSpace(raw)) == 0 || string(raw) == "null" {
		return catalog.Filter{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return catalog.Filter{}, inputError(field, "is not valid JSON")
	}
	p := &predicateParser{field: field}
	return p.node(field, v, 0)
}

type predicateParser struct {
	field string
	nodes int
}

func (p *predicateParser) node(path string, v any, depth int) (catalog.Filter, error) {
	p.nodes++
	if depth > maxPredicateDepth {
		return catalog.Filter{}, inputError(p.field, fmt.Sprintf("nests deeper than %d levels", maxPredicateDepth))
	}
	if p.nodes > maxPredicateNodes {
		return catalog.Filter{}, inputError(p.field, fmt.Sprintf("has more than %d terms", maxPredicateNodes))
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return catalog.Filter{}, inputError(path, "must be an object")
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []catalog.Filter
	for _, k := range keys {
		val := obj[k]
		sub := path + "." + k
		switch k {
		case "$all", "$any":
			list, ok := val.([]any)
			if !ok {
				return catalog.Filter{}, inputError(sub, "must be a list of predicates")
			}
			var children []catalog.Filter
			for i, item := range list {
				f, err := p.node(fmt.Sprintf("%s[%d]", sub, i), item, depth+1)
				if err != nil {
					return catalog.Filter{}, err
				}
				children = append(children, f)
			}
			if k == "$all" {
				parts = append(parts, catalog.Filter{All: children})
			} else if len(children) == 0 {
				// No alternative can hold.
				parts = append(parts, catalog.Filter{Key: "metadata.uid", Op: catalog.OpIn})
			} else {
				parts = append(parts, catalog.Filter{Any: children})
			}
		case "$not":
			f, err := p.node(sub, val, depth+1)
			if err != nil {
				return catalog.Filter{}, err
			}
			parts = append(parts, catalog.Filter{Not: &f})
		default:
			if len(k) > 0 && k[0] == '$' {
				return catalog.Filter{}, inputError(sub, fmt.Sprintf("unknown operator %s", k))
			}
			if err := checkKey(p.field, k); err != nil {
				return catalog.Filter{}, err
			}
			f, err := p.leaf(sub, k, val)
			if err != nil {
				return catalog.Filter{}, err
			}
			parts = append(parts, f)
		}
	}
	switch len(parts) {
	case 0:
		return catalog.Filter{}, nil
	case 1:
		return parts[0], nil
	}
	return catalog.Filter{All: parts}, nil
}

func (p *predicateParser) leaf(path, key string, v any) (catalog.Filter, error) {
	if s, ok := primitive(v); ok {
		return catalog.Filter{Key: key, Op: catalog.OpIn, Values: []string{s}}, nil
	}
	obj, ok := v.(map[string]any)
	if !ok || len(obj) != 1 {
		return catalog.Filter{}, inputError(path, "must be a value or one of {$exists}, {$in}, {$hasPrefix}, {$contains}")
	}
	for op, arg := range obj {
		switch op {
		case "$exists":
			b, ok := arg.(bool)
			if !ok {
				return catalog.Filter{}, inputError(path+".$exists", "must be true or false")
			}
			if b {
				return catalog.Filter{Key: key, Op: catalog.OpExists}, nil
			}
			return catalog.Filter{Key: key, Op: catalog.OpNotExists}, nil
		case "$in":
			list, ok := arg.([]any)
			if !ok {
				return catalog.Filter{}, inputError(path+".$in", "must be a list of values")
			}
			vals := make([]string, 0, len(list))
			for i, item := range list {
				s, ok := primitive(item)
				if !ok {
					return catalog.Filter{}, inputError(fmt.Sprintf("%s.$in[%d]", path, i), "must be a string, number or boolean")
				}
				vals = append(vals, s)
			}
			p.nodes += len(vals)
			if p.nodes > maxPredicateNodes {
				return catalog.Filter{}, inputError(p.field, fmt.Sprintf("has more than %d terms", maxPredicateNodes))
			}
			return catalog.Filter{Key: key, Op: catalog.OpIn, Values: vals}, nil
		case "$hasPrefix":
			s, ok := arg.(string)
			if !ok {
				return catalog.Filter{}, inputError(path+".$hasPrefix", "must be a string")
			}
			return catalog.Filter{Key: key, Op: catalog.OpPrefix, Prefix: s}, nil
		case "$contains":
			// Arrays are flattened into their key, so containing a value
			// is having it.
			s, ok := primitive(arg)
			if !ok {
				return catalog.Filter{}, inputError(path+".$contains", "must be a string, number or boolean")
			}
			return catalog.Filter{Key: key, Op: catalog.OpIn, Values: []string{s}}, nil
		default:
			return catalog.Filter{}, inputError(path, fmt.Sprintf("unknown operator %s", op))
		}
	}
	return catalog.Filter{}, nil
}

func primitive(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case json.Number:
		return t.String(), true
	case bool:
		if t {
			return "true", true
		}
		return "false", true
	}
	return "", false
}
