package provision

import (
	"errors"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// DeniedError is the API server refusing the user (HTTP 403). Message is
// the server's own words, e.g. `namespaces is forbidden: User "bob" cannot
// create resource "namespaces" in API group "" at the cluster scope`: it
// names the user, verb and resource, which is what the user needs to ask
// for access. Pont never retries a denied request with another identity.
type DeniedError struct {
	// Object is what was being acted on: "Namespace team-a-dev",
	// "Cluster team-a-dev/pg".
	Object string
	// Message is the API server's message, verbatim.
	Message string
	// Err is the API server's error; errors.As and apierrors.IsForbidden
	// see it through Unwrap.
	Err error
}

func (e *DeniedError) Error() string { return e.Message }
func (e *DeniedError) Unwrap() error { return e.Err }

// denied wraps a Forbidden from the API server as a *DeniedError, and
// returns any other error as it is.
func denied(object string, err error) error {
	if err == nil || !apierrors.IsForbidden(err) {
		return err
	}
	var de *DeniedError
	if errors.As(err, &de) {
		return err
	}
	msg := err.Error()
	var status apierrors.APIStatus
	if errors.As(err, &status) && status.Status().Message != "" {
		msg = status.Status().Message
	}
	return &DeniedError{Object: object, Message: msg, Err: err}
}

// FieldError is one invalid field of an input, named as in the input
// (lower case: "namespace", "cpu", "instances").
type FieldError struct {
	Field  string
	Detail string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Detail }

// InvalidInput lists every invalid field of one input, in field order.
type InvalidInput struct {
	Fields []*FieldError
}

func (e *InvalidInput) Error() string {
	msgs := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		msgs[i] = f.Error()
	}
	return strings.Join(msgs, "; ")
}

// fieldErrors collects FieldErrors; err returns nil when there are none.
type fieldErrors []*FieldError

func (fe *fieldErrors) add(field, format string, args ...any) {
	*fe = append(*fe, &FieldError{Field: field, Detail: fmt.Sprintf(format, args...)})
}

func (fe fieldErrors) err() error {
	if len(fe) == 0 {
		return nil
	}
	return &InvalidInput{Fields: fe}
}
