package kubernetes_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/pont-dev/pont/internal/config"
	"github.com/pont-dev/pont/plugins"
	"github.com/pont-dev/pont/plugins/example"
	"github.com/pont-dev/pont/plugins/kubernetes"
)

// TestBadInputForEveryField walks the input schema of every action Pont
// ships (the Kubernetes plugin's and the example's): for each property,
// every kind of bad value its schema rules out is refused with an
// InputError naming that property by its JSON pointer, and nothing else;
// an unknown property and a missing required one are refused too.
func TestBadInputForEveryField(t *testing.T) {
	p, err := kubernetes.New(kubernetes.Options{Config: config.Default().Kubernetes})
	if err != nil {
		t.Fatal(err)
	}
	reg := plugins.NewRegistry()
	if err := errors.Join(p.RegisterActions(reg), example.Register(reg)); err != nil {
		t.Fatal(err)
	}
	specs := reg.Specs("", "")
	if len(specs) < 7 {
		t.Fatalf("%d actions registered", len(specs))
	}
	for _, spec := range specs {
		t.Run(spec.ID, func(t *testing.T) {
			var schema struct {
				Required   []string                  `json:"required"`
				Properties map[string]map[string]any `json:"properties"`
			}
			if err := json.Unmarshal(spec.InputSchema, &schema); err != nil {
				t.Fatal(err)
			}
			good := goodInput(t, schema.Properties)
			if _, err := reg.ValidateInput(spec.ID, mustJSON(good)); err != nil {
				t.Fatalf("a good input is refused: %v (%v)", err, good)
			}
			refused := func(input map[string]any, field string) {
				t.Helper()
				_, err := reg.ValidateInput(spec.ID, mustJSON(input))
				var ie *plugins.InputError
				if !errors.As(err, &ie) {
					t.Fatalf("%v: accepted (%v)", input, err)
				}
				for _, f := range ie.Fields {
					if f.Field == field {
						return
					}
				}
				t.Errorf("%v: the error does not name %q: %v", input, field, err)
			}
			for name, prop := range schema.Properties {
				for _, bad := range badValues(prop) {
					input := clone(good)
					input[name] = bad
					refused(input, "/"+name)
				}
			}
			for _, name := range schema.Required {
				input := clone(good)
				delete(input, name)
				refused(input, "")
			}
			input := clone(good)
			input["surprise"] = true
			refused(input, "")
		})
	}
}

// goodInput is a valid value for every property (its default, example or
// first enum value, or one made to fit its constraints).
func goodInput(t *testing.T, props map[string]map[string]any) map[string]any {
	good := map[string]any{}
	for name, p := range props {
		switch {
		case p["default"] != nil:
			good[name] = p["default"]
		case p["enum"] != nil:
			good[name] = p["enum"].([]any)[0]
		case p["examples"] != nil:
			good[name] = p["examples"].([]any)[0]
		case p["type"] == "integer":
			good[name] = p["minimum"]
			if good[name] == nil {
				good[name] = 1
			}
		case p["type"] == "boolean":
			good[name] = false
		case p["type"] == "string":
			good[name] = goodString(name)
		default:
			t.Fatalf("no good value for %s: %v", name, p)
		}
	}
	return good
}

// goodString fits the patterns of Pont's actions for each field name.
func goodString(field string) string {
	switch field {
	case "cpu":
		return "2"
	case "memory":
		return "4Gi"
	case "version":
		return "16"
	case "storage":
		return "1Gi"
	default:
		return "abc"
	}
}

// badValues are values a property's schema rules out: the wrong type, and
// one breaking each constraint it has.
func badValues(p map[string]any) []any {
	var out []any
	switch p["type"] {
	case "string":
		out = append(out, 42)
	case "integer":
		out = append(out, "7", 1.5)
	case "boolean":
		out = append(out, "yes")
	}
	if p["enum"] != nil {
		out = append(out, "not-one-of-them")
	}
	if p["pattern"] != nil {
		out = append(out, "Not Valid!")
	}
	if n, ok := p["minLength"].(float64); ok && n > 0 {
		out = append(out, "")
	}
	if n, ok := p["maxLength"].(float64); ok {
		out = append(out, strings.Repeat("a", int(n)+1))
	}
	if n, ok := p["minimum"].(float64); ok {
		out = append(out, n-1)
	}
	if n, ok := p["maximum"].(float64); ok {
		out = append(out, n+1)
	}
	return out
}

func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprint(v, err))
	}
	return b
}
