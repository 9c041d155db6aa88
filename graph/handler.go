package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	coderws "github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/ent"
	"github.com/pont-dev/pont/graph/generated"
	"github.com/pont-dev/pont/graph/model"
	"github.com/pont-dev/pont/internal/audit"
	"github.com/pont-dev/pont/internal/auth"
	"github.com/pont-dev/pont/internal/auth/principal"
	"github.com/pont-dev/pont/plugins"
	"github.com/pont-dev/pont/plugins/runner"
)

// DefaultLimits are the defaults of the graphql.* configuration keys.
func DefaultLimits() Limits {
	return Limits{
		MaxComplexity: 20000, MaxDepth: 12, MaxAliases: 30, MaxTokens: 10000,
		MaxPageSize: 500, MaxGraphDepth: 4, MaxGraphNodes: 5000, Timeout: 15 * time.Second,
	}
}

// NewSchema returns the executable schema over deps.
func NewSchema(deps Deps) graphql.ExecutableSchema {
	return generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{client: deps.Client, deps: deps}})
}

// NewHandler returns the GraphQL endpoint: POST (application/json) and GET
// for queries, WebSocket (graphql-ws and graphql-transport-ws) for
// subscriptions, with every limit of deps.Limits applied before any
// resolver runs. Callers are authenticated before it (internal/auth's
// middleware); it refuses anonymous callers on every field.
func NewHandler(deps Deps) http.Handler {
	if deps.Limits.MaxPageSize == 0 {
		deps.Limits = DefaultLimits()
	}
	if deps.Limits.MaxGraphNodes == 0 {
		deps.Limits.MaxGraphNodes = DefaultLimits().MaxGraphNodes
	}
	if deps.Log == nil {
		deps.Log = slog.New(slog.DiscardHandler)
	}
	es := &weighted{ExecutableSchema: NewSchema(deps), limits: deps.Limits}
	srv := handler.New(es)
	// Only these transports: no multipart or form posts, whose simple
	// content types would let another site post with the user's cookie.
	// GET serves queries only (gqlgen answers 406 to a mutation over GET).
	srv.AddTransport(transport.Websocket{
		KeepAlivePingInterval: 15 * time.Second,
		InitFunc:              websocketInit,
		InitTimeout:           10 * time.Second,
		PayloadReadLimit:      ptr(int64(1 << 20)),
		Implementation: transport.CoderWebsocketImplementation{AcceptOptions: coderws.AcceptOptions{
			// coder/websocket refuses an Origin other than the Host
			// unless listed: the external URL's host is.
			OriginPatterns: originHosts(deps.Limits.AllowedOrigins),
		}},
	})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.SetParserTokenLimit(deps.Limits.MaxTokens)
	srv.SetDisableSuggestion(true)
	if deps.Limits.Introspection {
		srv.Use(extension.Introspection{})
	}
	srv.Use(&limitsExtension{es: es, limits: deps.Limits, free: freeFields(es.Schema())})
	srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		oc := graphql.GetOperationContext(ctx)
		if deps.Limits.Timeout > 0 && oc.Operation != nil && oc.Operation.Operation != ast.Subscription {
			return withTimeout(ctx, deps.Limits.Timeout, next)
		}
		return next(ctx)
	})
	srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		if principal.FromContext(ctx) == nil {
			// Every field will refuse (below); the request is audited once.
			oc := graphql.GetOperationContext(ctx)
			deps.Audit.Record(ctx, audit.Event{Action: "graphql." + string(oc.Operation.Operation), Target: oc.OperationName, Outcome: audit.Denied, Reason: "not signed in"})
		}
		return next(model.WithLoader(ctx, model.NewLoader(deps.Client)))
	})
	srv.AroundRootFields(func(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
		// Every field, those added later included, refuses an anonymous
		// caller; resolvers check finer permissions themselves.
		if principal.FromContext(ctx) == nil {
			graphql.AddError(ctx, &auth.DeniedError{Permission: auth.ReadEntity, Reason: "not signed in", Anonymous: true})
			return graphql.Null
		}
		return next(ctx)
	})
	srv.SetErrorPresenter(presentError(deps.Log))
	srv.SetRecoverFunc(func(ctx context.Context, v any) error {
		deps.Log.Error("graphql resolver panic", "panic", fmt.Sprint(v), "path", graphql.GetPath(ctx).String())
		return errPanic
	})
	return srv
}

// withTimeout runs a query or mutation under graphql.timeout (a
// subscription lives as long as its client). When the time is up before
// the executor even starts, it answers nothing; this says why instead.
func withTimeout(ctx context.Context, d time.Duration, next graphql.OperationHandler) graphql.ResponseHandler {
	ctx, cancel := context.WithTimeout(ctx, d)
	h := next(ctx)
	done := false
	return func(rctx context.Context) *graphql.Response {
		if done {
			return nil
		}
		res := h(rctx)
		if res == nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			err := gqlerror.Errorf("the query ran longer than graphql.timeout")
			err.Extensions = map[string]any{"code": "TIMEOUT", "limit": "graphql.timeout"}
			res = &graphql.Response{Errors: gqlerror.List{err}}
		}
		// A query or mutation answers once: the next call ends it.
		done = true
		cancel()
		return res
	}
}

func ptr[T any](v T) *T { return &v }

// originHosts turns origins (https://pont.example.com) into the host
// patterns coder/websocket matches.
func originHosts(origins []string) []string {
	var out []string
	for _, o := range origins {
		if u, err := url.Parse(o); err == nil && u.Host != "" {
			out = append(out, u.Host)
		}
	}
	return out
}

// websocketInit admits a subscription only for a signed-in caller: the
// upgrade request went through the authentication middleware, which put
// the principal (from the session cookie or a bearer token) in ctx.
func websocketInit(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	if principal.FromContext(ctx) == nil {
		return ctx, nil, errors.New("not signed in")
	}
	return ctx, nil, nil
}

// presentError turns errors into GraphQL errors with a code in
// extensions: denials, bad input, limits and missing things say what
// they are; anything else is an internal error, detailed only in the log.
func presentError(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		var gqlErr *gqlerror.Error
		if errors.As(err, &gqlErr) && gqlErr.Err == nil {
			return gqlErr // parse, validation and limit errors
		}
		out := graphql.DefaultErrorPresenter(ctx, err)
		if arg := argumentOf(ctx, out); arg != "" && !isKnown(err) {
			// A value that did not decode (a forged cursor, a bad enum):
			// name the argument, keep the decoder's words out.
			out.Message = arg + ": invalid value"
			out.Extensions = map[string]any{"code": "BAD_USER_INPUT", "field": arg}
			return out
		}
		var denied *auth.DeniedError
		var fe *catalog.FieldError
		var re *catalog.ReadError
		var ce *catalog.ConflictError
		var ne *catalog.NotAllowedError
		var le *LimitError
		var ve *ent.ValidationError
		var ie *plugins.InputError
		ext := map[string]any{}
		switch {
		case errors.As(err, &denied):
			ext["code"], ext["permission"] = "FORBIDDEN", string(denied.Permission)
			if denied.Anonymous {
				ext["code"] = "UNAUTHENTICATED"
			}
			out.Message = denied.Error()
		case errors.Is(err, catalog.ErrNotFound), ent.IsNotFound(err):
			ext["code"], out.Message = "NOT_FOUND", "not found"
		case errors.As(err, &fe):
			ext["code"], ext["field"], out.Message = "BAD_USER_INPUT", fe.Field, fe.Error()
		case errors.As(err, &re):
			ext["code"], ext["field"], out.Message = "BAD_USER_INPUT", re.Field, re.Field+": "+re.Reason
		case errors.As(err, &ve):
			ext["code"], out.Message = "BAD_USER_INPUT", ve.Error()
		case errors.As(err, &ie):
			// An action's input: every problem, each naming its field.
			fields := make([]map[string]any, len(ie.Fields))
			for i, f := range ie.Fields {
				fields[i] = map[string]any{"field": f.Field, "reason": f.Reason}
			}
			ext["code"], ext["fields"], out.Message = "BAD_USER_INPUT", fields, ie.Error()
		case errors.Is(err, plugins.ErrUnknownAction):
			ext["code"], out.Message = "NOT_FOUND", err.Error()
		case errors.Is(err, runner.ErrState):
			ext["code"], out.Message = "CONFLICT", err.Error()
		case errors.Is(err, errNoActions):
			ext["code"], out.Message = "NOT_FOUND", err.Error()
		case errors.As(err, &ce):
			ext["code"], out.Message = "CONFLICT", ce.Message
		case errors.As(err, &ne):
			ext["code"], out.Message = "FORBIDDEN", ne.Message
		case errors.As(err, &le):
			ext["code"], ext["limit"], out.Message = "LIMIT_EXCEEDED", le.Limit, le.Error()
		case isPrivacyDenial(err):
			ext["code"], out.Message = "FORBIDDEN", "permission denied"
		case errors.Is(err, errPanic):
			ext["code"], out.Message = "INTERNAL", errPanic.Error()
		case errors.Is(err, context.DeadlineExceeded):
			ext["code"], ext["limit"], out.Message = "TIMEOUT", "graphql.timeout", "the query ran longer than graphql.timeout"
		case isInputError(err):
			ext["code"] = "BAD_USER_INPUT"
		default:
			log.Error("graphql request failed", "err", err, "path", graphql.GetPath(ctx).String())
			ext["code"], out.Message = "INTERNAL", "internal error"
		}
		out.Extensions = ext
		return out
	}
}

// errPanic is what a caller sees of a resolver panic; the panic itself
// goes to the log.
var errPanic = errors.New("internal system error")

// argumentOf names the argument an error is about, when its path ends in
// one of the current field's arguments (gqlgen decodes arguments there).
func argumentOf(ctx context.Context, e *gqlerror.Error) string {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil || len(e.Path) == 0 {
		return ""
	}
	name, ok := e.Path[len(e.Path)-1].(ast.PathName)
	if !ok {
		return ""
	}
	if fc.Field.Arguments.ForName(string(name)) != nil {
		return string(name)
	}
	return ""
}

// isKnown reports errors the presenter describes itself.
func isKnown(err error) bool {
	var denied *auth.DeniedError
	var fe *catalog.FieldError
	var le *LimitError
	var ie *plugins.InputError
	return errors.As(err, &denied) || errors.As(err, &fe) || errors.As(err, &le) || errors.As(err, &ie)
}

// isInputError reports input errors of internal/auth (token requests).
func isInputError(err error) bool {
	var ie *auth.InputError
	return errors.As(err, &ie)
}
