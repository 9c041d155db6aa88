package restapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/pont-dev/pont/internal/auth"
	"github.com/pont-dev/pont/internal/auth/principal"

	"github.com/labstack/echo/v4"

	"github.com/pont-dev/pont/catalog"
)

// locationSpec is a location as the API names it.
type locationSpec struct {
	Type   string `json:"type"`
	Target string `json:"target"`
}

// locationView is a location as the API returns it: with the ref of the
// Location entity Pont makes for it, as Backstage does.
type locationView struct {
	ID        string `json:"id"`
	Type      string `json:"type"`
	Target    string `json:"target"`
	EntityRef string `json:"entityRef"`
}

func viewOf(l catalog.Location) locationView {
	return locationView{ID: l.ID, Type: l.Type, Target: l.Target, EntityRef: catalog.GeneratedLocationEntity(l).Ref().String()}
}

// bindLocationSpec reads {type, target}; the type defaults to url, as
// Backstage's client sends it.
func bindLocationSpec(c echo.Context) (locationSpec, error) {
	var spec locationSpec
	if err := bindJSON(c, &spec); err != nil {
		return spec, err
	}
	if spec.Type == "" {
		spec.Type = "url"
	}
	return spec, nil
}

// POST /locations?dryRun=true&onConflict=reject|refresh {type, target}
func (a *API) createLocation(c echo.Context) error {
	spec, err := bindLocationSpec(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := a.authorize(ctx, auth.CreateLocation, auth.Resource{Name: spec.Target}); err != nil {
		return err
	}
	dryRun := c.QueryParam("dryRun") == "true"
	res, err := a.locations.Register(ctx, catalog.RegisterRequest{
		Type: spec.Type, Target: spec.Target,
		DryRun: dryRun, OnConflict: c.QueryParam("onConflict"),
		CreatedBy: subjectOf(ctx),
	})
	if !dryRun {
		a.audit.Outcome(ctx, string(auth.CreateLocation), spec.Target, err, nil)
	}
	if err != nil {
		return err
	}
	body := map[string]any{"location": viewOf(res.Location), "entities": res.Entities}
	if c.QueryParam("dryRun") == "true" {
		body["exists"] = res.Exists
	}
	return c.JSON(http.StatusCreated, body)
}

type locationItem struct {
	Data locationView `json:"data"`
}

// GET /locations
func (a *API) listLocations(c echo.Context) error {
	ls, err := a.store.Locations(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]locationItem, len(ls))
	for i, l := range ls {
		out[i] = locationItem{Data: viewOf(l)}
	}
	return c.JSON(http.StatusOK, out)
}

// locationCursor pages POST /locations/by-query.
type locationCursor struct {
	Query  json.RawMessage `json:"query,omitempty"`
	Limit  int             `json:"limit"`
	Offset int             `json:"offset"`
}

// POST /locations/by-query {query, limit} or {cursor}
func (a *API) queryLocations(c echo.Context) error {
	var body struct {
		Cursor string          `json:"cursor"`
		Query  json.RawMessage `json:"query"`
		Limit  *int            `json:"limit"`
	}
	if err := bindJSON(c, &body); err != nil {
		return err
	}
	cur := locationCursor{Query: body.Query, Limit: a.cfg.DefaultPageSize}
	if body.Cursor != "" {
		raw, err := decodeOpaque(body.Cursor, &cur)
		if err != nil || raw == nil || cur.Offset < 0 || cur.Limit <= 0 {
			return inputError("cursor", "is malformed")
		}
	}
	if body.Limit != nil {
		if *body.Limit <= 0 {
			return inputError("limit", "must be a positive integer")
		}
		cur.Limit = *body.Limit
	}
	cur.Limit = a.capLimit(cur.Limit)
	filter, err := parsePredicate("query", cur.Query)
	if err != nil {
		return err
	}
	ls, err := a.store.Locations(c.Request().Context())
	if err != nil {
		return err
	}
	var matched []locationView
	for _, l := range ls {
		v := viewOf(l)
		if matchFields(filter, map[string]string{"id": v.ID, "type": v.Type, "target": v.Target, "entityref": v.EntityRef}) {
			matched = append(matched, v)
		}
	}
	end := min(cur.Offset+cur.Limit, len(matched))
	items := []locationView{}
	if cur.Offset < len(matched) {
		items = matched[cur.Offset:end]
	}
	resp := map[string]any{"items": items, "totalItems": len(matched)}
	info := map[string]string{}
	if end < len(matched) {
		next := cur
		next.Offset = end
		info["nextCursor"] = encodeOpaque(next)
	}
	if cur.Offset > 0 {
		prev := cur
		prev.Offset = max(0, cur.Offset-cur.Limit)
		info["prevCursor"] = encodeOpaque(prev)
	}
	resp["pageInfo"] = info
	return c.JSON(http.StatusOK, resp)
}

// matchFields evaluates a predicate on a flat record (field names
// lower-cased), case-insensitively, as the catalog does.
func matchFields(f catalog.Filter, rec map[string]string) bool {
	switch {
	case f.Key != "":
		v, ok := rec[strings.ToLower(f.Key)]
		switch f.Op {
		case catalog.OpExists:
			return ok
		case catalog.OpNotExists:
			return !ok
		case catalog.OpPrefix:
			return ok && strings.HasPrefix(strings.ToLower(v), strings.ToLower(f.Prefix))
		}
		for _, want := range f.Values {
			if ok && strings.EqualFold(v, want) {
				return true
			}
		}
		return false
	case f.Not != nil:
		return !matchFields(*f.Not, rec)
	case len(f.Any) > 0:
		for _, sub := range f.Any {
			if matchFields(sub, rec) {
				return true
			}
		}
		return false
	}
	for _, sub := range f.All {
		if !matchFields(sub, rec) {
			return false
		}
	}
	return true
}

// location reads a location, answering 404 when there is none.
func (a *API) location(ctx context.Context, id string) (catalog.Location, error) {
	l, err := a.store.Location(ctx, id)
	if errors.Is(err, catalog.ErrNotFound) {
		return l, notFound(fmt.Sprintf("Found no location with ID %s", id))
	}
	return l, err
}

// GET /locations/:id
func (a *API) getLocation(c echo.Context) error {
	l, err := a.location(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewOf(l))
}

// PUT /locations/:id {type, target}
func (a *API) updateLocation(c echo.Context) error {
	spec, err := bindLocationSpec(c)
	if err != nil {
		return err
	}
	ctx, id := c.Request().Context(), c.Param("id")
	if err := a.authorizeLocation(ctx, auth.UpdateLocation, id); err != nil {
		return err
	}
	updated, err := a.locations.Update(ctx, id, spec.Type, spec.Target)
	a.audit.Outcome(ctx, string(auth.UpdateLocation), id, err, nil)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewOf(updated))
}

// DELETE /locations/:id
func (a *API) deleteLocation(c echo.Context) error {
	ctx, id := c.Request().Context(), c.Param("id")
	if err := a.authorizeLocation(ctx, auth.DeleteLocation, id); err != nil {
		return err
	}
	err := a.locations.Delete(ctx, id)
	a.audit.Outcome(ctx, string(auth.DeleteLocation), id, err, nil)
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// GET /locations/by-entity/:kind/:namespace/:name
func (a *API) locationByEntity(c echo.Context) error {
	ref, err := refFromPath(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	provider, err := a.store.ProviderOf(ctx, ref.Key())
	if errors.Is(err, catalog.ErrNotFound) {
		return notFound(fmt.Sprintf("No entity %s", ref))
	}
	if err != nil {
		return err
	}
	id, ok := strings.CutPrefix(provider, "location:")
	if !ok {
		return notFound(fmt.Sprintf("Entity %s does not come from a location", ref))
	}
	l, err := a.location(ctx, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewOf(l))
}

// POST /analyze-location {location: {type, target}, catalogFilename}
//
// Pont does not read the repository (that would be a fetch to a host the
// caller chose): it proposes the Component a repository URL implies, as
// Backstage's analyzer does when the repository holds no descriptor.
func (a *API) analyzeLocation(c echo.Context) error {
	var body struct {
		Location        locationSpec `json:"location"`
		CatalogFilename string       `json:"catalogFilename"`
	}
	if err := bindJSON(c, &body); err != nil {
		return err
	}
	if err := a.authorize(c.Request().Context(), auth.ValidateEntity, auth.Resource{}); err != nil {
		return err
	}
	if body.Location.Type == "" {
		body.Location.Type = "url"
	}
	if body.Location.Type != "url" {
		return inputError("location.type", "only url locations can be analyzed")
	}
	u, err := url.Parse(body.Location.Target)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return inputError("location.target", "must be an http(s) URL of a repository")
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
		return inputError("location.target", "must name an owner and a repository, like https://host/owner/repo")
	}
	owner, repo := parts[0], strings.TrimSuffix(parts[1], ".git")
	name := sanitizeName(repo)
	if name == "" {
		return inputError("location.target", "the repository name gives no valid entity name")
	}
	annotations := map[string]string{}
	if strings.EqualFold(u.Hostname(), "github.com") {
		annotations["github.com/project-slug"] = owner + "/" + repo
	} else {
		annotations["backstage.io/source-location"] = "url:" + u.Scheme + "://" + u.Host + path.Join("/", owner, repo)
	}
	entity := map[string]any{
		"apiVersion": "backstage.io/v1alpha1",
		"kind":       "Component",
		"metadata":   map[string]any{"name": name, "annotations": annotations},
		"spec":       map[string]any{"type": "other", "lifecycle": "unknown"},
	}
	return c.JSON(http.StatusOK, map[string]any{
		"existingEntityFiles": []any{},
		"generateEntities":    []any{map[string]any{"entity": entity, "fields": []any{}}},
	})
}

// sanitizeName turns a repository name into a valid entity name.
func sanitizeName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	out := strings.Trim(b.String(), "-_.")
	if len(out) > 63 {
		out = strings.Trim(out[:63], "-_.")
	}
	return out
}

// subjectOf is the subject of the request's principal ("" when none).
func subjectOf(ctx context.Context) string {
	if p := principal.FromContext(ctx); p != nil {
		return p.Subject
	}
	return ""
}
