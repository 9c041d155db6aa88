package graph

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

func init() {
	// A refused operation is a 422, as gqlgen's own complexity limit.
	errcode.RegisterErrorType("COMPLEXITY_LIMIT_EXCEEDED", errcode.KindProtocol)
}

// listGuess is what a list field without a page size is taken to hold
// when a query's cost is estimated: a component's APIs, a group's members.
const listGuess = 10

// weighted gives fields their cost for the complexity limit: a field
// costs 1 plus its selection, and a list costs its selection times its
// page size (first, last) or times listGuess, so that nesting lists
// multiplies, as it does the work. What is done once per page is counted
// once: a connection's pageInfo and totalCount are not multiplied by its
// page size (the connection adds them flat), and __typename, which the
// executor answers without a resolver, is free.
type weighted struct {
	graphql.ExecutableSchema
	limits Limits
}

// perPage is what a connection adds, flat, for its pageInfo and totalCount.
const perPage = 2

func (w *weighted) Complexity(ctx context.Context, typeName, field string, child int, args map[string]any) (int, bool) {
	if n, ok := w.ExecutableSchema.Complexity(ctx, typeName, field, child, args); ok {
		return n, true
	}
	def := w.Schema().Types[typeName]
	if def == nil {
		return 0, false
	}
	fd := def.Fields.ForName(field)
	if fd == nil {
		return 0, false
	}
	size := 0
	for _, name := range []string{"first", "last"} {
		if n, ok := intArg(args[name]); ok && n > size {
			size = n
		}
	}
	switch {
	case (field == "edges" || field == "nodes") && isConnectionName(typeName):
		// The connection field counted its page size already.
		return 1 + child, true
	case field == "graph":
		depth, _ := intArg(args["depth"])
		return 1 + child*max(1, depth)*100, true
	case size > 0 && isConnection(fd.Type):
		return 1 + perPage + child*size, true
	case size > 0:
		return 1 + child*size, true
	case isConnection(fd.Type) || field == "search":
		return 1 + perPage + child*w.limits.defaultPageSize(), true
	case fd.Type.Elem != nil:
		return 1 + child*listGuess, true
	}
	return 0, false
}

// intArg reads an integer argument as the parser or the variables give it.
func intArg(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), true
	case float64:
		return int(n), true
	case json.Number:
		i, err := n.Int64()
		return int(i), err == nil
	}
	return 0, false
}

func isConnection(t *ast.Type) bool { return isConnectionName(t.Name()) }

func isConnectionName(name string) bool {
	return len(name) > len("Connection") && name[len(name)-len("Connection"):] == "Connection"
}

// limitsExtension refuses, before any resolver runs, an operation deeper
// than MaxDepth, with more than MaxAliases aliases, or costlier than
// MaxComplexity. Each refusal names its configuration key.
type limitsExtension struct {
	es     graphql.ExecutableSchema
	limits Limits
	// free are the fields left out of the cost ("Type.field"): see
	// freeFields.
	free map[string]struct{}
}

// freeFields are every type's __typename, which the executor answers
// without a resolver, and every connection's pageInfo and totalCount,
// which the connection field adds once (perPage) rather than once per row.
// gqlgen takes a field's own cost only when it is at least 1, so these are
// left out of the walk instead.
func freeFields(schema *ast.Schema) map[string]struct{} {
	free := map[string]struct{}{}
	for name, def := range schema.Types {
		if def.Kind != ast.Object && def.Kind != ast.Interface {
			continue
		}
		free[name+".__typename"] = struct{}{}
		if isConnectionName(name) {
			free[name+".pageInfo"] = struct{}{}
			free[name+".totalCount"] = struct{}{}
		}
	}
	return free
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = (*limitsExtension)(nil)

func (*limitsExtension) ExtensionName() string                          { return "PontLimits" }
func (*limitsExtension) Validate(schema graphql.ExecutableSchema) error { return nil }

func (l *limitsExtension) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	op := oc.Doc.Operations.ForName(oc.OperationName)
	if op == nil {
		return nil
	}
	if d := depthOf(op.SelectionSet, 0); d > l.limits.MaxDepth {
		return limitError("COMPLEXITY_LIMIT_EXCEEDED", "graphql.maxDepth", fmt.Sprintf("the query is %d levels deep; graphql.maxDepth allows %d", d, l.limits.MaxDepth))
	}
	if n := aliasesOf(op.SelectionSet, 0); n > l.limits.MaxAliases {
		return limitError("COMPLEXITY_LIMIT_EXCEEDED", "graphql.maxAliases", fmt.Sprintf("the query has %d aliases; graphql.maxAliases allows %d", n, l.limits.MaxAliases))
	}
	if c := complexity.Calculate(ctx, l.es, op, oc.Variables, complexity.WithIgnoreFields(l.free)); c > l.limits.MaxComplexity {
		return limitError("COMPLEXITY_LIMIT_EXCEEDED", "graphql.maxComplexity", fmt.Sprintf("the query costs %d; graphql.maxComplexity allows %d", c, l.limits.MaxComplexity))
	}
	return nil
}

func limitError(code, key, msg string) *gqlerror.Error {
	err := gqlerror.Errorf("%s", msg)
	errcode.Set(err, code)
	err.Extensions["limit"] = key
	return err
}

// depthOf is the deepest field nesting of a selection set, fragments
// included (validation has refused fragment cycles already). It stops
// counting past 1000 levels.
func depthOf(set ast.SelectionSet, d int) int {
	deepest := d
	if d > 1000 {
		return d
	}
	for _, sel := range set {
		var n int
		switch s := sel.(type) {
		case *ast.Field:
			if len(s.SelectionSet) == 0 {
				n = d + 1
			} else {
				n = depthOf(s.SelectionSet, d+1)
			}
		case *ast.InlineFragment:
			n = depthOf(s.SelectionSet, d)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				n = depthOf(s.Definition.SelectionSet, d)
			}
		}
		deepest = max(deepest, n)
	}
	return deepest
}

// aliasesOf counts aliased fields, each fragment counted where it is
// spread. It stops counting at a million.
func aliasesOf(set ast.SelectionSet, n int) int {
	for _, sel := range set {
		if n > 1_000_000 {
			return n
		}
		switch s := sel.(type) {
		case *ast.Field:
			if s.Alias != "" && s.Alias != s.Name {
				n++
			}
			n = aliasesOf(s.SelectionSet, n)
		case *ast.InlineFragment:
			n = aliasesOf(s.SelectionSet, n)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				n = aliasesOf(s.Definition.SelectionSet, n)
			}
		}
	}
	return n
}
