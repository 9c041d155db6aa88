package catalog

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Limits of the search table, as in Backstage's buildEntitySearch.
const (
	maxSearchKeyLength   = 200
	maxSearchValueLength = 200
)

// SearchRow is one flattened key/value pair of an entity. Value is the
// lower-cased value, nil for a null, a container or a value that is too
// long; Original keeps the value as written, for facets (stores may keep it
// only where it differs from Value).
type SearchRow struct {
	Key      string
	Value    *string
	Original *string
}

// searchSkipped are the paths Backstage keeps out of the traversal; the
// identity fields among them are added back explicitly.
var searchSkipped = map[string]bool{
	"attachments": true, "relations": true, "status": true,
	"metadata.name": true, "metadata.namespace": true, "metadata.uid": true, "metadata.etag": true,
}

// SearchRows flattens an entity the way Backstage's search table does:
// nested keys joined with dots, arrays flattened into repeated keys, keys
// and values lower-cased, and metadata.name, metadata.namespace (with
// "default" when unset) and metadata.uid always present. Relations are
// matched from the relations table instead. It fails when two keys differ
// only in case, as Backstage does.
func SearchRows(e *Entity) ([]SearchRow, error) {
	var kv []searchKV
	visit := func(path string, v any) { kv = traverseSearch(kv, path, v) }
	visit("apiVersion", e.APIVersion)
	visit("kind", e.Kind)
	m := e.Metadata
	if m.Title != "" {
		visit("metadata.title", m.Title)
	}
	if m.Description != "" {
		visit("metadata.description", m.Description)
	}
	for k, v := range m.Labels {
		visit("metadata.labels."+k, v)
	}
	for k, v := range m.Annotations {
		visit("metadata.annotations."+k, v)
	}
	visit("metadata.tags", m.Tags)
	for _, l := range m.Links {
		visit("metadata.links.url", l.URL)
		if l.Title != "" {
			visit("metadata.links.title", l.Title)
		}
		if l.Icon != "" {
			visit("metadata.links.icon", l.Icon)
		}
		if l.Type != "" {
			visit("metadata.links.type", l.Type)
		}
	}
	for k, v := range m.Extra {
		visit("metadata."+k, v)
	}
	for k, v := range e.Spec {
		visit("spec."+k, v)
	}
	kv = append(kv, searchKV{"metadata.name", m.Name, true})
	if m.Namespace != "" {
		kv = append(kv, searchKV{"metadata.namespace", m.Namespace, true})
	} else {
		kv = append(kv, searchKV{"metadata.namespace", DefaultNamespace, true})
	}
	if m.UID != "" {
		kv = append(kv, searchKV{"metadata.uid", m.UID, true})
	}

	rows := make([]SearchRow, 0, len(kv))
	lowerToRaw := make(map[string]string, len(kv))
	for _, p := range kv {
		key := strings.ToLower(p.key)
		if raw, ok := lowerToRaw[key]; ok && raw != p.key {
			return nil, &FieldError{Field: p.key, Reason: fmt.Sprintf("differs from %s only in letter case, which the catalog cannot tell apart", raw)}
		}
		lowerToRaw[key] = p.key
		// PostgreSQL cannot hold NUL in text: such keys are not searchable,
		// and such values count as null, rather than failing the write.
		if len(key) > maxSearchKeyLength || strings.ContainsRune(key, 0) {
			continue
		}
		row := SearchRow{Key: key}
		if p.ok && len(p.value) <= maxSearchValueLength && !strings.ContainsRune(p.value, 0) {
			v := p.value
			low := strings.ToLower(v)
			row.Value, row.Original = &low, &v
		}
		rows = append(rows, row)
	}
	// A stable order keeps writes deterministic (and diffs readable).
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Key < rows[j].Key })
	return rows, nil
}

type searchKV struct {
	key   string
	value string
	ok    bool // false: null
}

// appendItemKey adds key=true unless a key equal to it, ignoring case, is
// already there (Backstage's rule for array items). Item keys are few and
// the traversal short, so a scan of the keys added so far is cheap when
// done once per array, which the callers ensure.
func appendItemKeys(out []searchKV, path string, items []string) []searchKV {
	if len(items) == 0 {
		return out
	}
	have := make(map[string]bool, len(out))
	for _, kv := range out {
		have[strings.ToLower(kv.key)] = true
	}
	for _, item := range items {
		key := path + "." + item
		if low := strings.ToLower(key); !have[low] {
			have[low] = true
			out = append(out, searchKV{key, "true", true})
		}
	}
	return out
}

func traverseSearch(out []searchKV, path string, v any) []searchKV {
	if searchSkipped[path] {
		return out
	}
	switch t := v.(type) {
	case nil:
		return append(out, searchKV{key: path})
	case string:
		return append(out, searchKV{path, t, true})
	case bool:
		return append(out, searchKV{path, strconv.FormatBool(t), true})
	case int:
		return append(out, searchKV{path, strconv.Itoa(t), true})
	case int64:
		return append(out, searchKV{path, strconv.FormatInt(t, 10), true})
	case float64:
		return append(out, searchKV{path, strconv.FormatFloat(t, 'f', -1, 64), true})
	case []any:
		// Backstage flattens arrays into the same key, not path.N, and
		// also marks each string item as a key of its own set to true
		// (so metadata.tags.java=true matches).
		var items []string
		for _, x := range t {
			out = traverseSearch(out, path, x)
			if s, ok := x.(string); ok {
				items = append(items, s)
			}
		}
		return appendItemKeys(out, path, items)
	case []string:
		for _, x := range t {
			out = traverseSearch(out, path, x)
		}
		return appendItemKeys(out, path, t)
	case map[string]any:
		for k, x := range t {
			out = traverseSearch(out, path+"."+k, x)
		}
		return out
	case map[string]string:
		for k, x := range t {
			out = traverseSearch(out, path+"."+k, x)
		}
		return out
	}
	return out
}
