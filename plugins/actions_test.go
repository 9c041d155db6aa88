package plugins_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/pont-dev/pont/plugins"
)

// fakeAction is an action with a given spec that does nothing.
type fakeAction struct{ spec plugins.ActionSpec }

func (a fakeAction) Spec() plugins.ActionSpec { return a.spec }
func (a fakeAction) Plan(context.Context, plugins.ActionRequest) (*plugins.Plan, error) {
	return &plugins.Plan{}, nil
}
func (a fakeAction) Run(context.Context, plugins.ActionRequest, plugins.RunReporter) (*plugins.RunResult, error) {
	return &plugins.RunResult{}, nil
}

const sizeSchema = `{
  "type": "object",
  "required": ["name", "instances"],
  "additionalProperties": false,
  "properties": {
    "name": {"type": "string", "pattern": "^[a-z][a-z0-9-]{1,30}$"},
    "instances": {"type": "integer", "minimum": 1, "maximum": 9},
    "storage": {"type": "string", "enum": ["1Gi", "10Gi"]},
    "ttl": {"type": "string", "format": "duration"},
    "labels": {"type": "object", "additionalProperties": {"type": "string"}}
  }
}`

func newAction(id, schema string) fakeAction {
	return fakeAction{plugins.ActionSpec{ID: id, Title: "T", InputSchema: json.RawMessage(schema),
		AppliesTo: plugins.EntitySelector{Kinds: []string{"component"}}}}
}

func TestRegister(t *testing.T) {
	r := plugins.NewRegistry()
	if err := r.Register(newAction("kubernetes.create-database", sizeSchema)); err != nil {
		t.Fatal(err)
	}
	for name, a := range map[string]fakeAction{
		"duplicate":  newAction("kubernetes.create-database", sizeSchema),
		"bad id":     newAction("Create DB", sizeSchema),
		"no schema":  newAction("a.b", ""),
		"not json":   newAction("a.c", "{"),
		"bad schema": newAction("a.d", `{"type": "nope"}`),
		"remote ref": newAction("a.e", `{"$ref": "https://example.com/schema.json"}`),
		"no title":   {plugins.ActionSpec{ID: "a.f", InputSchema: json.RawMessage(`{}`)}},
	} {
		if err := r.Register(a); err == nil {
			t.Errorf("%s: registered", name)
		}
	}
	if got := r.Specs("component", "service"); len(got) != 1 || got[0].ID != "kubernetes.create-database" {
		t.Errorf("specs for a component: %v", got)
	}
	if got := r.Specs("api", ""); len(got) != 0 {
		t.Errorf("specs for an API: %v", got)
	}
}

func TestValidateInputNamesTheField(t *testing.T) {
	r := plugins.NewRegistry()
	if err := r.Register(newAction("db.create", sizeSchema)); err != nil {
		t.Fatal(err)
	}
	if in, err := r.ValidateInput("db.create", json.RawMessage(`{"name":"orders","instances":3,"storage":"10Gi","ttl":"P1D"}`)); err != nil || in["instances"] != 3.0 {
		t.Fatalf("valid input: %v %v", in, err)
	}
	for input, field := range map[string]string{
		`{"instances":3}`:                                  "",
		`{"name":"Orders","instances":3}`:                  "/name",
		`{"name":"orders","instances":0}`:                  "/instances",
		`{"name":"orders","instances":"3"}`:                "/instances",
		`{"name":"orders","instances":3.5}`:                "/instances",
		`{"name":"orders","instances":3,"storage":"5Gi"}`:  "/storage",
		`{"name":"orders","instances":3,"ttl":"soon"}`:     "/ttl",
		`{"name":"orders","instances":3,"labels":{"a":1}}`: "/labels/a",
		`{"name":"orders","instances":3,"extra":true}`:     "",
		`[1,2]`:    "",
		`"orders"`: "",
		`{"name":`: "",
	} {
		_, err := r.ValidateInput("db.create", json.RawMessage(input))
		var ie *plugins.InputError
		if !errors.As(err, &ie) {
			t.Errorf("%s: %v", input, err)
			continue
		}
		found := false
		for _, f := range ie.Fields {
			found = found || f.Field == field
		}
		if !found {
			t.Errorf("%s: no problem on %q: %v", input, field, ie)
		}
	}
	big := `{"name":"orders","instances":3,"labels":{"a":"` + strings.Repeat("x", plugins.MaxInputBytes) + `"}}`
	if _, err := r.ValidateInput("db.create", json.RawMessage(big)); err == nil {
		t.Error("an input over the size limit passed")
	}
	if _, err := r.ValidateInput("db.nope", nil); !errors.Is(err, plugins.ErrUnknownAction) {
		t.Errorf("unknown action: %v", err)
	}
}

func FuzzValidateInput(f *testing.F) {
	r := plugins.NewRegistry()
	if err := r.Register(newAction("db.create", sizeSchema)); err != nil {
		f.Fatal(err)
	}
	f.Add(`{"name":"orders","instances":3}`)
	f.Add(`{"name":1,"labels":{"a":{"b":[1,2,{}]}}}`)
	f.Fuzz(func(t *testing.T, input string) {
		in, err := r.ValidateInput("db.create", json.RawMessage(input))
		if err == nil && (in == nil || in["name"] == nil) {
			t.Fatalf("accepted %q as %v", input, in)
		}
	})
}
