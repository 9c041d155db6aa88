package restapi

import (
	"context"
	"errors"

	"github.com/labstack/echo/v4"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/internal/audit"
	"github.com/pont-dev/pont/internal/auth"
	"github.com/pont-dev/pont/internal/auth/principal"
)

// requireSignIn answers 401 to a request without a principal. Reads are
// then narrowed by the scoped store (auth.ScopedStore) and mutations
// authorized one by one (authorize).
func (a *API) requireSignIn(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if ctx := c.Request().Context(); principal.FromContext(ctx) == nil {
			err := &auth.DeniedError{Permission: auth.ReadEntity, Reason: "not signed in", Anonymous: true}
			a.audit.Record(ctx, audit.Event{Action: "catalog.api", Target: c.Request().Method + " " + c.Path(), Outcome: audit.Denied, Reason: err.Reason})
			return err
		}
		return next(c)
	}
}

// authorize asks the policy; a denial is audited and answered 403.
func (a *API) authorize(ctx context.Context, perm auth.Permission, res auth.Resource) error {
	return a.policy.Enforce(ctx, a.audit, perm, res)
}

// authorizeEntity authorizes perm on a stored entity against its owners.
func (a *API) authorizeEntity(ctx context.Context, perm auth.Permission, e *catalog.StoredEntity) error {
	return a.authorize(ctx, perm, auth.Resource{Name: e.Key, Owners: catalog.OwnersOf(e)})
}

// authorizeLocation reads a location and authorizes perm on it.
func (a *API) authorizeLocation(ctx context.Context, perm auth.Permission, id string) error {
	l, err := a.location(ctx, id)
	if err != nil {
		return err
	}
	return a.authorize(ctx, perm, auth.Resource{Name: id, CreatedBy: l.CreatedBy, Config: l.Origin == "config"})
}

func isDenied(err error) bool {
	var de *auth.DeniedError
	return errors.As(err, &de)
}
