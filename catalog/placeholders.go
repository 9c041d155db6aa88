package catalog

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
)

// resolvePlaceholders replaces {$text: path}, {$json: path} and
// {$yaml: path} values in a document with what they point at, read through
// the same confinement as location targets (roots for files, the same
// origin for URLs) and the same size cap. Content read this way is not
// searched for placeholders again: one level only.
func (c *crawl) resolvePlaceholders(base string, doc *RawDocument) error {
	var errs Errors
	var walk func(path string, v any) any
	walk = func(path string, v any) any {
		switch t := v.(type) {
		case map[string]any:
			if len(t) == 1 {
				for k, arg := range t {
					// Like Backstage, only the known placeholders are
					// resolved; any other $key (a JSON Schema $ref in a
					// Template, say) is plain data.
					if k == "$text" || k == "$json" || k == "$yaml" {
						out, err := c.placeholder(base, k, arg)
						if err != nil {
							errs = append(errs, &FieldError{File: doc.File, Document: doc.Index, Line: doc.Lines[path], Field: path, Reason: err.Error()})
							return v
						}
						return out
					}
				}
			}
			keys := make([]string, 0, len(t))
			for k := range t {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				t[k] = walk(fieldPath(path, k), t[k])
			}
			return t
		case []any:
			for i := range t {
				t[i] = walk(fmt.Sprintf("%s[%d]", path, i), t[i])
			}
			return t
		}
		return v
	}
	doc.Object = walk("", doc.Object).(map[string]any)
	if len(errs) > 0 {
		return errs
	}
	return nil
}

func (c *crawl) placeholder(base, key string, arg any) (any, error) {
	ref, ok := arg.(string)
	if !ok || ref == "" {
		return nil, fmt.Errorf("%s takes a path or URL string", key)
	}
	target, err := Resolve(c.loc.Type, base, ref)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %s", key, ref, reason(err))
	}
	if target == base || (c.loc.Type == "file" && filepath.Clean(target) == filepath.Clean(base)) {
		return nil, fmt.Errorf("%s %s: a placeholder may not read the file that holds it", key, ref)
	}
	if c.loc.Type == "url" && !SameOrigin(base, target) {
		return nil, fmt.Errorf("%s %s: must be on the same host as the file that names it", key, ref)
	}
	data, _, err := c.p.reader.Read(c.ctx, c.loc.Type, target)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %s", key, ref, reason(err))
	}
	switch key {
	case "$text":
		return string(data), nil
	case "$json":
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			return nil, fmt.Errorf("$json %s: not valid JSON: %v", ref, err)
		}
		return v, nil
	default: // $yaml
		docs, err := Parse(target, data, c.p.cfg.Limits)
		if err != nil {
			return nil, fmt.Errorf("$yaml %s: %v", ref, err)
		}
		if len(docs) != 1 {
			return nil, fmt.Errorf("$yaml %s: want exactly one YAML document, found %d", ref, len(docs))
		}
		return docs[0].Object, nil
	}
}

func reason(err error) string {
	if re, ok := err.(*ReadError); ok {
		return re.Reason
	}
	return err.Error()
}
