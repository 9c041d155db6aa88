package catalog

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// FieldError is one problem with a descriptor: where it is (file, document,
// line, field path) and what is wrong with it.
type FieldError struct {
	// File is the name the caller gave to Parse; empty when unknown.
	File string
	// Document is the 0-based index of the document within the file, or -1
	// when the problem concerns the whole file (too large, too many
	// documents). Error() shows it 1-based, the way people count.
	Document int
	// Line is the 1-based line the problem was found on, 0 when unknown.
	Line int
	// Field is the path of the field, like "metadata.name",
	// "metadata.links[0].url" or "spec.providesApis[1]"; empty when the
	// problem is not about one field.
	Field string
	// Reason says what is wrong, for a human.
	Reason string
}

// Error formats the problem as "FILE: document N: line L: FIELD: REASON",
// leaving out the parts that are unknown.
func (e *FieldError) Error() string {
	parts := make([]string, 0, 5)
	if e.File != "" {
		parts = append(parts, e.File)
	}
	if e.Document >= 0 {
		parts = append(parts, fmt.Sprintf("document %d", e.Document+1))
	}
	if e.Line > 0 {
		parts = append(parts, fmt.Sprintf("line %d", e.Line))
	}
	if e.Field != "" {
		parts = append(parts, e.Field)
	}
	parts = append(parts, e.Reason)
	return strings.Join(parts, ": ")
}

// Errors is every problem found in a file or a document. Parse and Validate
// return it (as error) so that a user sees all problems at once rather than
// fixing them one round trip at a time.
type Errors []*FieldError

// Error lists the problems one per line.
func (es Errors) Error() string {
	lines := make([]string, 0, len(es))
	for _, e := range es {
		if e != nil {
			lines = append(lines, e.Error())
		}
	}
	return strings.Join(lines, "\n")
}

// Unwrap gives the individual problems to errors.Is and errors.As.
func (es Errors) Unwrap() []error {
	out := make([]error, 0, len(es))
	for _, e := range es {
		if e != nil {
			out = append(out, e)
		}
	}
	return out
}

// maxProblems caps how many problems one file or document reports: a hostile
// file with a hundred thousand bad label keys must not turn into an error
// message of the same size.
const maxProblems = 100

// problemList collects FieldErrors up to maxProblems and counts the rest.
type problemList struct {
	list    Errors
	dropped int
}

func (p *problemList) add(e *FieldError) {
	if p.full() {
		p.dropped++
		return
	}
	p.list = append(p.list, e)
}

// full reports whether further problems are only counted.
func (p *problemList) full() bool { return len(p.list) >= maxProblems }

// err returns the collected problems sorted by document, line and field, or
// a nil error when there are none. Returning a literal nil matters: a nil
// Errors slice stored in an error interface would not compare equal to nil.
func (p *problemList) err() error {
	if len(p.list) == 0 {
		return nil
	}
	out := slices.Clone(p.list)
	slices.SortStableFunc(out, func(a, b *FieldError) int {
		return cmp.Or(
			cmp.Compare(a.Document, b.Document),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Field, b.Field),
		)
	})
	if p.dropped > 0 {
		last := out[len(out)-1]
		out = append(out, &FieldError{
			File:     last.File,
			Document: last.Document,
			Reason:   fmt.Sprintf("%d more problems not shown", p.dropped),
		})
	}
	return out
}

// Problems lists the problems an error of Parse, Validate or
// ValidateEntity carries, one per field; any other error is one problem
// without a field.
func Problems(err error) []*FieldError {
	var list Errors
	var fe *FieldError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &list):
		return list
	case errors.As(err, &fe):
		return []*FieldError{fe}
	}
	return []*FieldError{{Document: -1, Reason: err.Error()}}
}
