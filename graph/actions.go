package graph

import (
	"encoding/json"
	"errors"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/plugins"
	"github.com/pont-dev/pont/plugins/runner"
)

// errNoActions answers action fields when no runner is configured.
var errNoActions = errors.New("self-service actions are not configured on this server")

// runner is the action runner, or errNoActions.
func (r *Resolver) runner() (*runner.Runner, error) {
	if r.deps.Runner == nil {
		return nil, errNoActions
	}
	return r.deps.Runner, nil
}

// inputJSON re-encodes an action input given as a GraphQL JSON value.
func inputJSON(input any) (json.RawMessage, error) {
	if input == nil {
		return json.RawMessage("{}"), nil
	}
	b, err := json.Marshal(input)
	if err != nil {
		return nil, &catalog.FieldError{Document: -1, Field: "input", Reason: err.Error()}
	}
	if len(b) > plugins.MaxInputBytes {
		return nil, &catalog.FieldError{Document: -1, Field: "input", Reason: "too large"}
	}
	return b, nil
}

func derefInt(n *int) int {
	if n == nil {
		return 0
	}
	return *n
}
