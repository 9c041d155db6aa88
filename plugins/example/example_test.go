package example_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/pont-dev/pont/plugins"
	"github.com/pont-dev/pont/plugins/example"
)

type lines []string

func (l *lines) Log(format string, args ...any) { *l = append(*l, fmt.Sprintf(format, args...)) }
func (l *lines) Step(name string)               { *l = append(*l, "step "+name) }
func (l *lines) Once(name string, do func() error) error {
	l.Step(name)
	return do()
}

func TestAnnounce(t *testing.T) {
	reg := plugins.NewRegistry()
	if err := example.Register(reg); err != nil {
		t.Fatal(err)
	}
	if specs := reg.Specs("component", "service"); len(specs) != 1 || specs[0].ID != "example.announce" {
		t.Fatalf("specs: %v", specs)
	}
	in, err := reg.ValidateInput("example.announce", json.RawMessage(`{"message":"deploy at noon","times":2,"loud":true}`))
	if err != nil {
		t.Fatal(err)
	}
	action, _ := reg.Action("example.announce")
	req := plugins.ActionRequest{RunID: "r1", Input: in, Target: plugins.Target{Ref: "component:default/shop"}, Actor: plugins.Actor{Name: "alice"}}
	if !action.Spec().Approval.Needed(req) {
		t.Error("a loud announcement needs no approval")
	}
	plan, err := action.Plan(context.Background(), req)
	if err != nil || !strings.Contains(plan.Summary, "DEPLOY AT NOON!") {
		t.Fatalf("plan: %+v %v", plan, err)
	}
	var out lines
	res, err := action.Run(context.Background(), req, &out)
	if err != nil || len(out) != 3 || !strings.Contains(out[2], "2/2 component:default/shop: DEPLOY AT NOON! (asked by alice)") {
		t.Fatalf("run: %v %v %q", res, err, out)
	}
	for input, field := range map[string]string{
		`{}`:                             "",
		`{"message":""}`:                 "/message",
		`{"message":"x","times":9}`:      "/times",
		`{"message":"x","loud":"yes"}`:   "/loud",
		`{"message":"x","colour":"red"}`: "",
	} {
		_, err := reg.ValidateInput("example.announce", json.RawMessage(input))
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: %v", input, err)
		}
	}
	req.Input = map[string]any{"message": "the password is hunter2"}
	if _, err := action.Run(context.Background(), req, &out); !plugins.IsPermanent(err) {
		t.Errorf("a password: %v", err)
	}
}
