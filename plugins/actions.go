package plugins

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Action is one self-service action a plugin offers ("create an
// environment"). Plugins register their actions at start; the core lists
// them, validates input against InputSchema, asks for approval when the
// policy says so, and runs them as durable jobs. docs/plugins.md walks
// through writing one.
//
// Run is called at least once per run, and again after a restart or a
// transient error: every step must be idempotent (create-if-absent,
// server-side apply), so that doing it twice changes nothing.
type Action interface {
	Spec() ActionSpec
	// Plan says what Run would change, changing nothing (a dry run).
	// Approvers see it before they decide.
	Plan(ctx context.Context, req ActionRequest) (*Plan, error)
	// Run does it, reporting progress and log lines as it goes.
	Run(ctx context.Context, req ActionRequest, out RunReporter) (*RunResult, error)
}

// ActionSpec describes an action.
type ActionSpec struct {
	// ID is unique, lower-case words separated by dots and dashes
	// ("kubernetes.create-environment").
	ID          string
	Title       string
	Description string
	// InputSchema is the JSON Schema (draft 2020-12) of the input. The UI
	// builds its form from it; the core validates every input with it.
	InputSchema json.RawMessage
	// AppliesTo selects the catalog entities the action is offered on.
	AppliesTo EntitySelector
	// Approval says which runs need approval, and from whom.
	Approval ApprovalPolicy
}

// EntitySelector matches entities by kind and spec.type (empty: any).
type EntitySelector struct {
	Kinds []string // lower-case kinds: "component", "resource"
	Types []string // spec.type values: "service", "environment"
}

// Matches tells whether an entity of this kind and spec.type is selected.
func (s EntitySelector) Matches(kind, specType string) bool {
	ok := func(list []string, v string) bool {
		return len(list) == 0 || slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, v) })
	}
	return ok(s.Kinds, kind) && ok(s.Types, specType)
}

// ApprovalPolicy says when a run waits for someone's approval.
type ApprovalPolicy struct {
	// Always: every run needs approval (deleting a database).
	Always bool
	// When, if set, decides per request (an environment labelled
	// production).
	When func(req ActionRequest) bool
	// Approvers may approve: "owners" (members of the target's owning
	// group), "admins", or group refs. Default: owners and admins. The
	// requester never approves their own run.
	Approvers []string
	// Expires: a request not decided within this expires. Default 72h.
	Expires time.Duration
}

// Who lists who may approve: Approvers, or by default owners and admins.
func (p ApprovalPolicy) Who() []string {
	if len(p.Approvers) == 0 {
		return []string{"owners", "admins"}
	}
	return p.Approvers
}

// Needed tells whether req needs approval.
func (p ApprovalPolicy) Needed(req ActionRequest) bool {
	return p.Always || (p.When != nil && p.When(req))
}

// ActionRequest is one run's request, the same for Plan and every attempt
// of Run.
type ActionRequest struct {
	// RunID identifies the run: use it to make steps idempotent (name
	// what you create after it, or record it on what you create).
	RunID string
	// Target is the entity the action was run on.
	Target Target
	// Input is the validated input (decoded JSON).
	Input map[string]any
	// Actor is who asked: actions against a cluster act as them.
	Actor Actor
}

// Target is the catalog entity an action runs on.
type Target struct {
	Ref         string // kind:namespace/name
	Kind        string // lower-case
	Type        string // spec.type
	Owner       string // group ref of spec.owner
	Annotations map[string]string
	Labels      map[string]string
}

// Actor is the person a run acts for.
type Actor struct {
	Subject string // the sign-in subject
	User    string // catalog User ref, when known
	Name    string
	Email   string   // verified email, when known
	Groups  []string // catalog group refs
}

// Permanent marks an error of Run that another attempt cannot fix (the
// cluster refused, the input names something that does not exist): the run
// fails at once instead of being retried.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

// IsPermanent tells whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Plan is what a run would change.
type Plan struct {
	Summary string
	Changes []Change
}

// Change is one object a run would create, update or delete.
type Change struct {
	Action string // create, update, delete, unchanged
	Kind   string
	Name   string
	// Diff is a unified diff (update) or the object (create, delete).
	Diff string
}

// RunReporter receives what a run says while it runs. Lines are kept with
// the run and streamed to its watchers; never write secrets to them.
type RunReporter interface {
	Log(format string, args ...any)
	// Step names the step being done.
	Step(name string)
	// Once does a step unless an earlier attempt of the run finished it:
	// it reports the step, calls do, and on success records the step as
	// done, so that a run resumed after a restart goes on after its last
	// finished step instead of doing it again. A step whose side effect
	// happened but whose record did not (the process died in between) is
	// done again: do must still be idempotent. Names are unique per run.
	Once(name string, do func() error) error
}

// RunResult is what a finished run produced.
type RunResult struct {
	Summary string
	// Entities are refs of catalog entities the run created or changed.
	Entities []string
	Outputs  map[string]any
}

// Registry holds the actions the plugins registered.
type Registry struct {
	mu      sync.RWMutex
	actions map[string]*registered
}

type registered struct {
	action Action
	spec   ActionSpec
	schema *jsonschema.Schema
}

var actionIDRE = regexp.MustCompile(`^[a-z0-9]+([.-][a-z0-9]+)*$`)

// MaxInputBytes caps an action's input.
const MaxInputBytes = 64 << 10

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{actions: map[string]*registered{}} }

// Register adds an action. Its ID must be well-formed and unused, and its
// input schema must compile (and may not refer to other documents).
func (r *Registry) Register(a Action) error {
	spec := a.Spec()
	if !actionIDRE.MatchString(spec.ID) {
		return fmt.Errorf("action id %q: lower-case words separated by dots or dashes", spec.ID)
	}
	if spec.Title == "" {
		return fmt.Errorf("action %s: no title", spec.ID)
	}
	schema, err := compileSchema(spec.ID, spec.InputSchema)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.actions[spec.ID]; dup {
		return fmt.Errorf("action %s is registered twice", spec.ID)
	}
	r.actions[spec.ID] = &registered{action: a, spec: spec, schema: schema}
	return nil
}

func compileSchema(id string, raw json.RawMessage) (*jsonschema.Schema, error) {
	if len(raw) == 0 {
		return nil, fmt.Errorf("action %s: no input schema", id)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("action %s: input schema is not JSON: %w", id, err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	// No loader: a $ref to anything outside the schema fails to compile
	// instead of fetching a URL.
	c.UseLoader(noLoader{})
	url := "urn:pont:action:" + id
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("action %s: input schema: %w", id, err)
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("action %s: input schema: %w", id, err)
	}
	return s, nil
}

type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("the input schema may not refer to %s", url)
}

// Action returns a registered action.
func (r *Registry) Action(id string) (Action, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	reg, ok := r.actions[id]
	if !ok {
		return nil, false
	}
	return reg.action, true
}

// Specs lists the actions offered on an entity of this kind and
// spec.type ("" and "" for all), by id.
func (r *Registry) Specs(kind, specType string) []ActionSpec {
	r.mu.RLock()
	var out []ActionSpec
	for _, reg := range r.actions {
		if (kind == "" && specType == "") || reg.spec.AppliesTo.Matches(kind, specType) {
			out = append(out, reg.spec)
		}
	}
	r.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// InputError is input that does not fit the action's schema: one entry per
// problem, each naming the field by its JSON pointer ("/instances").
type InputError struct {
	Action string
	Fields []FieldProblem
}

// FieldProblem is one problem with one field of an input.
type FieldProblem struct {
	Field  string // JSON pointer; "" for the input as a whole
	Reason string
}

func (e *InputError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		field := f.Field
		if field == "" {
			field = "input"
		}
		parts[i] = field + ": " + f.Reason
	}
	return "input of " + e.Action + ": " + strings.Join(parts, "; ")
}

// ErrUnknownAction is returned for an action id nobody registered.
var ErrUnknownAction = errors.New("no such action")

// ValidateInput decodes and checks an input against the action's schema.
func (r *Registry) ValidateInput(id string, input json.RawMessage) (map[string]any, error) {
	r.mu.RLock()
	reg, ok := r.actions[id]
	r.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrUnknownAction, id)
	}
	bad := func(field, format string, args ...any) error {
		return &InputError{Action: id, Fields: []FieldProblem{{Field: field, Reason: fmt.Sprintf(format, args...)}}}
	}
	if len(input) == 0 {
		input = json.RawMessage("{}")
	}
	if len(input) > MaxInputBytes {
		return nil, bad("", "larger than %d bytes", MaxInputBytes)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(input))
	if err != nil {
		return nil, bad("", "not JSON: %v", err)
	}
	if _, isObject := doc.(map[string]any); !isObject {
		return nil, bad("", "must be a JSON object")
	}
	if err := reg.schema.Validate(doc); err != nil {
		var ve *jsonschema.ValidationError
		if !errors.As(err, &ve) {
			return nil, bad("", "%v", err)
		}
		return nil, &InputError{Action: id, Fields: fieldProblems(ve)}
	}
	// Decode again with encoding/json: plain float64 numbers for actions.
	var out map[string]any
	if err := json.Unmarshal(input, &out); err != nil {
		return nil, bad("", "not JSON: %v", err)
	}
	return out, nil
}

// fieldProblems flattens a validation error to its leaves, one per field.
func fieldProblems(ve *jsonschema.ValidationError) []FieldProblem {
	var out []FieldProblem
	seen := map[FieldProblem]bool{}
	var walk func(u jsonschema.OutputUnit)
	walk = func(u jsonschema.OutputUnit) {
		if u.Error != nil && len(u.Errors) == 0 {
			p := FieldProblem{Field: u.InstanceLocation, Reason: u.Error.String()}
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
		for _, e := range u.Errors {
			walk(e)
		}
	}
	walk(*ve.BasicOutput())
	sort.SliceStable(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}
