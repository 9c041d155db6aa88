// Package example is the worked example of docs/plugins.md: a plugin with
// one action, "example.announce", that writes an announcement to its run's
// log on any component. It shows every part of the contract: the spec with
// its input schema and approval policy, a plan, an idempotent run that
// reports steps and log lines, and a permanent error. Turn it on with
// actions.example in the configuration (the demo configuration does).
package example

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/pont-dev/pont/plugins"
)

// Register adds the example's actions to a registry. A plugin exports one
// such function; cmd/pont calls it at start.
func Register(r *plugins.Registry) error {
	return r.Register(Announce{})
}

// Announce announces something about a component to its run's log.
type Announce struct{}

// Spec describes the action: what it is called, what input it takes (the
// UI builds its form from the schema, and the runner checks every input
// against it), what it applies to, and when it needs approval.
func (Announce) Spec() plugins.ActionSpec {
	return plugins.ActionSpec{
		ID:          "example.announce",
		Title:       "Announce",
		Description: "Writes an announcement about this component to the run's log.",
		InputSchema: json.RawMessage(`{
			"type": "object",
			"required": ["message"],
			"additionalProperties": false,
			"properties": {
				"message": {"type": "string", "title": "Message", "minLength": 1, "maxLength": 200},
				"times": {"type": "integer", "title": "How many times", "minimum": 1, "maximum": 5, "default": 1},
				"loud": {"type": "boolean", "title": "Loud (needs approval)", "default": false}
			}
		}`),
		AppliesTo: plugins.EntitySelector{Kinds: []string{"component"}},
		Approval: plugins.ApprovalPolicy{
			// A loud announcement waits for one of the component's
			// owners (other than the requester) or an admin.
			When:      func(req plugins.ActionRequest) bool { return req.Input["loud"] == true },
			Approvers: []string{"owners", "admins"},
		},
	}
}

// Plan says what Run will do, changing nothing: approvers read it.
func (Announce) Plan(_ context.Context, req plugins.ActionRequest) (*plugins.Plan, error) {
	text, times := announcement(req)
	return &plugins.Plan{
		Summary: fmt.Sprintf("announce %q %d time(s) about %s", text, times, req.Target.Ref),
		Changes: []plugins.Change{{Action: "create", Kind: "Announcement", Name: req.RunID, Diff: text}},
	}, nil
}

// Run does it. It may be called more than once for one run (after a
// restart, or a transient error), so it does nothing that cannot be done
// twice: here it only writes log lines.
func (Announce) Run(_ context.Context, req plugins.ActionRequest, out plugins.RunReporter) (*plugins.RunResult, error) {
	text, times := announcement(req)
	if strings.Contains(strings.ToLower(text), "password") {
		// A permanent error: another attempt would not help.
		return nil, plugins.Permanent(errors.New("an announcement never carries a password"))
	}
	out.Step("announce")
	for i := range times {
		out.Log("%d/%d %s: %s (asked by %s)", i+1, times, req.Target.Ref, text, req.Actor.Name)
	}
	return &plugins.RunResult{Summary: fmt.Sprintf("announced %d time(s)", times), Entities: []string{req.Target.Ref}}, nil
}

// announcement reads the validated input (numbers are float64).
func announcement(req plugins.ActionRequest) (string, int) {
	text, _ := req.Input["message"].(string)
	times := 1
	if n, ok := req.Input["times"].(float64); ok {
		times = int(n)
	}
	if req.Input["loud"] == true {
		text = strings.ToUpper(text) + "!"
	}
	return text, times
}
