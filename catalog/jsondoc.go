package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// ParseJSONDocument decodes one entity given as JSON (the validate-entity
// endpoint, the GraphQL API) into the same tree the YAML parser produces,
// so both are validated alike: numbers become int64 when integral, else
// float64.
func ParseJSONDocument(source string, data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &FieldError{File: source, Field: "entity", Reason: "is not valid JSON: " + err.Error()}
	}
	obj, ok := normalizeJSON(v).(map[string]any)
	if !ok {
		return nil, &FieldError{File: source, Field: "entity", Reason: "must be a JSON object"}
	}
	return obj, nil
}

func normalizeJSON(v any) any {
	switch t := v.(type) {
	case json.Number:
		s := t.String()
		if !strings.ContainsAny(s, ".eE") {
			if i, err := t.Int64(); err == nil {
				return i
			}
		}
		f, err := t.Float64()
		if err != nil {
			return fmt.Sprint(t)
		}
		return f
	case map[string]any:
		for k, x := range t {
			t[k] = normalizeJSON(x)
		}
		return t
	case []any:
		for i, x := range t {
			t[i] = normalizeJSON(x)
		}
		return t
	}
	return v
}
