// Package restapi serves Pont's catalog through Backstage's catalog REST
// API (the paths, JSON shapes, status codes and filter semantics of
// @backstage/plugin-catalog-backend), so tools written against Backstage,
// @backstage/catalog-client first among them, work against Pont unchanged.
package restapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/pont-dev/pont/catalog"
)

// Config tunes the API.
type Config struct {
	// AllowedLocationTypes are the location types POST /locations accepts.
	// Default: url only; file locations come from configuration unless the
	// operator allows "file" here too.
	AllowedLocationTypes []string
	// MaxPageSize caps limit on by-query and /entities. Default 1000.
	MaxPageSize int
	// DefaultPageSize is by-query's limit when none is given. Default 20.
	DefaultPageSize int
}

// Refresher schedules location refreshes (the catalog runner).
type Refresher interface {
	Trigger(locationID string)
}

// API is the Backstage-compatible catalog API.
type API struct {
	store     catalog.Store
	processor *catalog.Processor
	refresher Refresher
	cfg       Config
	log       *slog.Logger
}

// New returns the API.
func New(store catalog.Store, processor *catalog.Processor, refresher Refresher, cfg Config, log *slog.Logger) *API {
	if cfg.MaxPageSize <= 0 {
		cfg.MaxPageSize = 1000
	}
	if cfg.DefaultPageSize <= 0 {
		cfg.DefaultPageSize = 20
	}
	if cfg.AllowedLocationTypes == nil {
		cfg.AllowedLocationTypes = []string{"url"}
	}
	return &API{store: store, processor: processor, refresher: refresher, cfg: cfg, log: log}
}

// Register mounts the routes on g (the /api/catalog group).
func (a *API) Register(g *echo.Group) {
	g.GET("/entities", a.getEntities)
	g.GET("/entities/by-query", a.queryEntities)
	g.POST("/entities/by-refs", a.entitiesByRefs, requireJSON)
	g.GET("/entities/by-uid/:uid", a.entityByUID)
	g.DELETE("/entities/by-uid/:uid", a.deleteEntityByUID)
	g.GET("/entities/by-name/:kind/:namespace/:name", a.entityByName)
	g.GET("/entities/by-name/:kind/:namespace/:name/ancestry", a.ancestry)
	g.GET("/entity-facets", a.facets)
	g.POST("/locations", a.createLocation, requireJSON)
	g.GET("/locations", a.listLocations)
	g.GET("/locations/:id", a.getLocation)
	g.DELETE("/locations/:id", a.deleteLocation)
	g.GET("/locations/by-entity/:kind/:namespace/:name", a.locationByEntity)
	g.POST("/refresh", a.refresh, requireJSON)
	g.POST("/validate-entity", a.validateEntity, requireJSON)
}

// requireJSON refuses bodies that are not JSON with 415: a form post from
// another site cannot reach a state-changing route.
func requireJSON(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ct := c.Request().Header.Get(echo.HeaderContentType)
		if !strings.HasPrefix(strings.ToLower(strings.TrimSpace(ct)), echo.MIMEApplicationJSON) {
			return echo.NewHTTPError(http.StatusUnsupportedMediaType, "Content-Type must be application/json")
		}
		return next(c)
	}
}

// bindJSON decodes the body strictly into v.
func bindJSON(c echo.Context, v any) error {
	dec := json.NewDecoder(c.Request().Body)
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "request body too large")
		}
		return inputError("body", "is not valid JSON: "+err.Error())
	}
	return nil
}

// writeEntities streams a JSON array of rendered entities.
func writeEntities(c echo.Context, items []*catalog.StoredEntity, fields []string) error {
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i, e := range items {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := writeEntity(&buf, e, fields); err != nil {
			return err
		}
	}
	buf.WriteByte(']')
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, buf.Bytes())
}

func writeEntity(buf *bytes.Buffer, e *catalog.StoredEntity, fields []string) error {
	if e == nil {
		buf.WriteString("null")
		return nil
	}
	if len(fields) == 0 {
		renderEntity(buf, e)
		return nil
	}
	var one bytes.Buffer
	renderEntity(&one, e)
	p, err := project(one.Bytes(), fields)
	if err != nil {
		return err
	}
	buf.Write(p)
	return nil
}

func (a *API) capLimit(n int) int {
	if n > a.cfg.MaxPageSize {
		return a.cfg.MaxPageSize
	}
	return n
}

// GET /entities?filter=&fields=&order=&offset=&limit=&after=
func (a *API) getEntities(c echo.Context) error {
	q := c.QueryParams()
	filter, err := parseFilter(q["filter"])
	if err != nil {
		return err
	}
	fields, err := parseFields(q["fields"])
	if err != nil {
		return err
	}
	order, err := parseOrder(q["order"])
	if err != nil {
		return err
	}
	offset, err := intParam(q, "offset", 0)
	if err != nil {
		return err
	}
	limit, err := intParam(q, "limit", 0)
	if err != nil {
		return err
	}
	if after := q.Get("after"); after != "" {
		cur, err := decodeCursor(after)
		if err != nil {
			return inputError("after", "is malformed")
		}
		offset = cur.Offset
	}
	if limit == 0 {
		// No limit asked: everything, as Backstage answers, streamed in
		// pages so memory stays flat on a large catalog.
		return a.streamAll(c, catalog.EntityQuery{Filter: filter, Order: order, Offset: offset}, fields)
	}
	page, err := a.store.QueryEntities(c.Request().Context(), catalog.EntityQuery{Filter: filter, Order: order, Offset: offset, Limit: a.capLimit(limit)})
	if err != nil {
		return err
	}
	return writeEntities(c, page.Items, fields)
}

func (a *API) streamAll(c echo.Context, q catalog.EntityQuery, fields []string) error {
	const chunk = 1000
	resp := c.Response()
	resp.Header().Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	first := true
	var buf bytes.Buffer
	for {
		q.Limit = chunk
		page, err := a.store.QueryEntities(c.Request().Context(), q)
		if err != nil {
			if first {
				return err
			}
			a.log.Error("stream entities", "err", err)
			return nil // the response has started; the client sees a truncated body
		}
		buf.Reset()
		if first {
			buf.WriteByte('[')
		}
		for _, e := range page.Items {
			if !first {
				buf.WriteByte(',')
			}
			first = false
			if err := writeEntity(&buf, e, fields); err != nil {
				return err
			}
		}
		if !resp.Committed {
			resp.WriteHeader(http.StatusOK)
		}
		if _, err := resp.Write(buf.Bytes()); err != nil {
			return nil
		}
		if len(page.Items) < chunk {
			break
		}
		q.Offset += chunk
	}
	if first {
		_, _ = resp.Write([]byte("["))
	}
	_, _ = resp.Write([]byte("]"))
	return nil
}

// queryResponse is by-query's answer.
type queryResponse struct {
	Items      []json.RawMessage `json:"items"`
	TotalItems int               `json:"totalItems"`
	PageInfo   pageInfo          `json:"pageInfo"`
}

type pageInfo struct {
	NextCursor string `json:"nextCursor,omitempty"`
	PrevCursor string `json:"prevCursor,omitempty"`
}

// GET /entities/by-query?filter=&fields=&orderField=&fullTextFilterTerm=&fullTextFilterFields=&limit=&offset=&cursor=
func (a *API) queryEntities(c echo.Context) error {
	q := c.QueryParams()
	fields, err := parseFields(q["fields"])
	if err != nil {
		return err
	}
	limit, err := intParam(q, "limit", a.cfg.DefaultPageSize)
	if err != nil {
		return err
	}
	limit = a.capLimit(limit)
	var cur queryCursor
	if raw := q.Get("cursor"); raw != "" {
		if cur, err = decodeCursor(raw); err != nil {
			return err
		}
	} else {
		offset, err := intParam(q, "offset", 0)
		if err != nil {
			return err
		}
		cur = queryCursor{Filter: q["filter"], Order: q["orderField"], FullText: q.Get("fullTextFilterTerm"), Offset: offset}
		if ff := q.Get("fullTextFilterFields"); ff != "" {
			cur.FullFields = strings.Split(ff, ",")
		}
	}
	filter, err := parseFilter(cur.Filter)
	if err != nil {
		return err
	}
	order, err := parseOrderFields(cur.Order)
	if err != nil {
		return err
	}
	var ft *catalog.FullTextFilter
	if strings.TrimSpace(cur.FullText) != "" {
		if len(cur.FullText) > maxKeyLength {
			return inputError("fullTextFilterTerm", fmt.Sprintf("is longer than %d characters", maxKeyLength))
		}
		for _, f := range cur.FullFields {
			if err := checkKey("fullTextFilterFields", f); err != nil {
				return err
			}
		}
		ft = &catalog.FullTextFilter{Term: cur.FullText, Fields: cur.FullFields}
	}
	page, err := a.store.QueryEntities(c.Request().Context(), catalog.EntityQuery{
		Filter: filter, FullText: ft, Order: order, Offset: cur.Offset, Limit: limit, Count: true,
	})
	if err != nil {
		return err
	}
	resp := queryResponse{Items: make([]json.RawMessage, 0, len(page.Items)), TotalItems: page.Total}
	var buf bytes.Buffer
	for _, e := range page.Items {
		buf.Reset()
		if err := writeEntity(&buf, e, fields); err != nil {
			return err
		}
		resp.Items = append(resp.Items, json.RawMessage(slices.Clone(buf.Bytes())))
	}
	if cur.Offset+len(page.Items) < page.Total {
		next := cur
		next.Offset, next.TotalItems, next.IsPrevious = cur.Offset+limit, page.Total, false
		resp.PageInfo.NextCursor = encodeCursor(next)
	}
	if cur.Offset > 0 {
		prev := cur
		prev.Offset, prev.TotalItems, prev.IsPrevious = max(0, cur.Offset-limit), page.Total, true
		resp.PageInfo.PrevCursor = encodeCursor(prev)
	}
	return c.JSON(http.StatusOK, resp)
}

// POST /entities/by-refs {entityRefs, fields}
func (a *API) entitiesByRefs(c echo.Context) error {
	var body struct {
		EntityRefs []string `json:"entityRefs"`
		Fields     []string `json:"fields"`
	}
	if err := bindJSON(c, &body); err != nil {
		return err
	}
	if body.EntityRefs == nil {
		return inputError("entityRefs", "is required")
	}
	if len(body.EntityRefs) > a.cfg.MaxPageSize {
		return inputError("entityRefs", fmt.Sprintf("at most %d references per request", a.cfg.MaxPageSize))
	}
	fields, err := parseFields(append(body.Fields, c.QueryParams()["fields"]...))
	if err != nil {
		return err
	}
	filter, err := parseFilter(c.QueryParams()["filter"])
	if err != nil {
		return err
	}
	keys := make([]string, len(body.EntityRefs))
	for i, s := range body.EntityRefs {
		ref, err := catalog.ParseRef(s, catalog.RefDefaults{})
		if err != nil {
			return inputError(fmt.Sprintf("entityRefs[%d]", i), err.Error())
		}
		keys[i] = ref.Key()
	}
	items, err := a.store.EntitiesByKeys(c.Request().Context(), keys)
	if err != nil {
		return err
	}
	if !filter.Empty() {
		// Narrow to the filter with one query over the found entities.
		if err := a.applyFilter(c.Request().Context(), items, filter); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	buf.WriteString(`{"items":[`)
	for i, e := range items {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := writeEntity(&buf, e, fields); err != nil {
			return err
		}
	}
	buf.WriteString(`]}`)
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, buf.Bytes())
}

// applyFilter sets to nil the items that do not match the filter.
func (a *API) applyFilter(ctx context.Context, items []*catalog.StoredEntity, filter catalog.Filter) error {
	uids := []string{}
	for _, e := range items {
		if e != nil {
			uids = append(uids, e.UID)
		}
	}
	if len(uids) == 0 {
		return nil
	}
	narrowed := catalog.Filter{}
	for _, set := range filter.AnyOf {
		set.Conditions = append(slices.Clone(set.Conditions), catalog.Condition{Key: "metadata.uid", Values: uids})
		narrowed.AnyOf = append(narrowed.AnyOf, set)
	}
	page, err := a.store.QueryEntities(ctx, catalog.EntityQuery{Filter: narrowed})
	if err != nil {
		return err
	}
	match := map[string]bool{}
	for _, e := range page.Items {
		match[e.UID] = true
	}
	for i, e := range items {
		if e != nil && !match[e.UID] {
			items[i] = nil
		}
	}
	return nil
}

func refFromPath(c echo.Context) (catalog.Ref, error) {
	r := catalog.Ref{Kind: c.Param("kind"), Namespace: c.Param("namespace"), Name: c.Param("name")}
	if r.Kind == "" || r.Namespace == "" || r.Name == "" {
		return r, inputError("ref", "kind, namespace and name are required")
	}
	return r, nil
}

func (a *API) writeOne(c echo.Context, e *catalog.StoredEntity) error {
	var buf bytes.Buffer
	renderEntity(&buf, e)
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, buf.Bytes())
}

// GET /entities/by-name/:kind/:namespace/:name
func (a *API) entityByName(c echo.Context) error {
	ref, err := refFromPath(c)
	if err != nil {
		return err
	}
	e, err := a.store.EntityByKey(c.Request().Context(), ref.Key())
	if errors.Is(err, catalog.ErrNotFound) {
		return notFound(fmt.Sprintf("No entity named '%s' found, with kind '%s' in namespace '%s'", ref.Name, ref.Kind, ref.Namespace))
	}
	if err != nil {
		return err
	}
	return a.writeOne(c, e)
}

// GET /entities/by-uid/:uid
func (a *API) entityByUID(c echo.Context) error {
	e, err := a.store.EntityByUID(c.Request().Context(), c.Param("uid"))
	if errors.Is(err, catalog.ErrNotFound) {
		return notFound(fmt.Sprintf("No entity with uid %s", c.Param("uid")))
	}
	if err != nil {
		return err
	}
	return a.writeOne(c, e)
}

// DELETE /entities/by-uid/:uid
func (a *API) deleteEntityByUID(c echo.Context) error {
	err := a.store.DeleteEntity(c.Request().Context(), c.Param("uid"))
	if errors.Is(err, catalog.ErrNotFound) {
		return notFound(fmt.Sprintf("Entity with uid %s not found", c.Param("uid")))
	}
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// GET /entities/by-name/:kind/:namespace/:name/ancestry
//
// Pont records the location an entity came from (its managed-by-location
// annotation) and the registered location it was found through; the
// ancestry is the entity, the Location entity that was read for it, and the
// registered location's own entity.
func (a *API) ancestry(c echo.Context) error {
	ref, err := refFromPath(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	e, err := a.store.EntityByKey(ctx, ref.Key())
	if errors.Is(err, catalog.ErrNotFound) {
		return notFound(fmt.Sprintf("No such entity %s", ref))
	}
	if err != nil {
		return err
	}
	type item struct {
		Entity           json.RawMessage `json:"entity"`
		ParentEntityRefs []string        `json:"parentEntityRefs"`
	}
	var entity catalog.Entity
	if err := json.Unmarshal(e.Body, &entity); err != nil {
		return err
	}
	self := entity.Ref().String()
	var buf bytes.Buffer
	renderEntity(&buf, e)
	items := []item{{Entity: slices.Clone(buf.Bytes()), ParentEntityRefs: []string{}}}
	origin := entity.Metadata.Annotations[catalog.AnnotationManagedByOriginLocation]
	if typ, target, ok := strings.Cut(origin, ":"); ok {
		root := catalog.GeneratedLocationEntity(catalog.Location{Type: typ, Target: target}).Ref()
		if root.String() != self {
			if re, err := a.store.EntityByKey(ctx, root.Key()); err == nil {
				items[0].ParentEntityRefs = []string{root.String()}
				buf.Reset()
				renderEntity(&buf, re)
				items = append(items, item{Entity: slices.Clone(buf.Bytes()), ParentEntityRefs: []string{}})
			}
		}
	}
	rootRef := self
	if len(items) > 1 {
		rootRef = items[0].ParentEntityRefs[0]
	}
	return c.JSON(http.StatusOK, map[string]any{"rootEntityRef": rootRef, "items": items})
}

// GET /entity-facets?facet=&filter=
func (a *API) facets(c echo.Context) error {
	q := c.QueryParams()
	filter, err := parseFilter(q["filter"])
	if err != nil {
		return err
	}
	facets := q["facet"]
	if len(facets) == 0 {
		return inputError("facet", "at least one facet is required")
	}
	if len(facets) > 20 {
		return inputError("facet", "at most 20 facets per request")
	}
	for _, f := range facets {
		if err := checkKey("facet", f); err != nil {
			return err
		}
	}
	out, err := a.store.Facets(c.Request().Context(), filter, facets)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"facets": out})
}

// locationSpec is a location as the API names it.
type locationSpec struct {
	Type   string `json:"type"`
	Target string `json:"target"`
}

func (a *API) checkLocation(spec locationSpec) error {
	if spec.Type == "" {
		return inputError("type", "is required")
	}
	if spec.Target == "" {
		return inputError("target", "is required")
	}
	if !slices.Contains(a.cfg.AllowedLocationTypes, spec.Type) {
		return inputError("type", fmt.Sprintf("location type %q may not be registered through the API (allowed: %s)", spec.Type, strings.Join(a.cfg.AllowedLocationTypes, ", ")))
	}
	return a.processor.Reader().CheckTarget(spec.Type, spec.Target)
}

// POST /locations?dryRun=true {type, target}
func (a *API) createLocation(c echo.Context) error {
	var spec locationSpec
	if err := bindJSON(c, &spec); err != nil {
		return err
	}
	if err := a.checkLocation(spec); err != nil {
		return err
	}
	ctx := c.Request().Context()
	dryRun := c.QueryParam("dryRun") == "true"
	existing, err := a.store.LocationByTarget(ctx, spec.Type, spec.Target)
	exists := err == nil
	if err != nil && !errors.Is(err, catalog.ErrNotFound) {
		return err
	}
	if dryRun {
		loc := catalog.Location{ID: "dry-run", Type: spec.Type, Target: spec.Target}
		if exists {
			loc = existing
		}
		res, err := a.processor.DryRun(ctx, loc)
		if err != nil {
			return err
		}
		if len(res.Errors) > 0 {
			return inputError(firstField(res.Errors), catalog.DescribeError(res.Errors[0]))
		}
		return c.JSON(http.StatusCreated, map[string]any{"location": loc, "entities": nonNil(res.Entities), "exists": exists})
	}
	if exists {
		return conflict(fmt.Sprintf("Location %s:%s already exists", spec.Type, spec.Target))
	}
	loc, err := a.store.CreateLocation(ctx, catalog.Location{Type: spec.Type, Target: spec.Target, Origin: "api"})
	if errors.Is(err, catalog.ErrAlreadyExists) {
		return conflict(fmt.Sprintf("Location %s:%s already exists", spec.Type, spec.Target))
	}
	if err != nil {
		return err
	}
	a.refresher.Trigger(loc.ID)
	gen := catalog.GeneratedLocationEntity(loc)
	return c.JSON(http.StatusCreated, map[string]any{"location": loc, "entities": []*catalog.Entity{gen}})
}

func nonNil(es []*catalog.Entity) []*catalog.Entity {
	if es == nil {
		return []*catalog.Entity{}
	}
	return es
}

func firstField(errs []catalog.ProcessingError) string {
	if errs[0].Field != "" {
		return errs[0].Field
	}
	return "target"
}

type locationItem struct {
	Data catalog.Location `json:"data"`
}

// GET /locations
func (a *API) listLocations(c echo.Context) error {
	ls, err := a.store.Locations(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]locationItem, len(ls))
	for i, l := range ls {
		out[i] = locationItem{Data: l}
	}
	return c.JSON(http.StatusOK, out)
}

// GET /locations/:id
func (a *API) getLocation(c echo.Context) error {
	l, err := a.store.Location(c.Request().Context(), c.Param("id"))
	if errors.Is(err, catalog.ErrNotFound) {
		return notFound(fmt.Sprintf("Found no location with ID %s", c.Param("id")))
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, l)
}

// DELETE /locations/:id
func (a *API) deleteLocation(c echo.Context) error {
	id := c.Param("id")
	l, err := a.store.Location(c.Request().Context(), id)
	if errors.Is(err, catalog.ErrNotFound) {
		return notFound(fmt.Sprintf("Found no location with ID %s", id))
	}
	if err != nil {
		return err
	}
	if l.Origin == "config" {
		return &apiError{Status: http.StatusForbidden, Name: "NotAllowedError", Message: fmt.Sprintf("location %s comes from configuration; remove it there", id)}
	}
	if err := a.store.DeleteLocation(c.Request().Context(), id); err != nil {
		return err
	}
	a.refresher.Trigger(id)
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
	l, err := a.store.Location(ctx, id)
	if errors.Is(err, catalog.ErrNotFound) {
		return notFound(fmt.Sprintf("No location for entity %s", ref))
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, l)
}

// POST /refresh {entityRef}
func (a *API) refresh(c echo.Context) error {
	var body struct {
		EntityRef string `json:"entityRef"`
	}
	if err := bindJSON(c, &body); err != nil {
		return err
	}
	ref, err := catalog.ParseRef(body.EntityRef, catalog.RefDefaults{})
	if err != nil {
		return inputError("entityRef", err.Error())
	}
	provider, err := a.store.ProviderOf(c.Request().Context(), ref.Key())
	if errors.Is(err, catalog.ErrNotFound) {
		return notFound(fmt.Sprintf("No entity %s", ref))
	}
	if err != nil {
		return err
	}
	if id, ok := strings.CutPrefix(provider, "location:"); ok {
		a.refresher.Trigger(id)
	}
	return c.NoContent(http.StatusOK)
}

// POST /validate-entity {entity, location}
func (a *API) validateEntity(c echo.Context) error {
	var body struct {
		Entity   json.RawMessage `json:"entity"`
		Location string          `json:"location"`
	}
	if err := bindJSON(c, &body); err != nil {
		return err
	}
	if len(body.Entity) == 0 || string(body.Entity) == "null" {
		return inputError("entity", "is required")
	}
	if body.Location == "" {
		return inputError("location", "is required")
	}
	raw, err := catalog.ParseJSONDocument(body.Location, body.Entity)
	if err == nil {
		_, err = a.processor.ValidateEntity(raw, body.Location)
	}
	if err == nil {
		return c.NoContent(http.StatusOK)
	}
	type serialized struct {
		Name    string `json:"name"`
		Message string `json:"message"`
		Field   string `json:"field,omitempty"`
	}
	var out []serialized
	var list catalog.Errors
	var fe *catalog.FieldError
	switch {
	case errors.As(err, &list):
		for _, e := range list {
			out = append(out, serialized{Name: "InputError", Message: e.Field + ": " + e.Reason, Field: e.Field})
		}
	case errors.As(err, &fe):
		out = append(out, serialized{Name: "InputError", Message: fe.Field + ": " + fe.Reason, Field: fe.Field})
	default:
		out = append(out, serialized{Name: "InputError", Message: err.Error()})
	}
	return c.JSON(http.StatusBadRequest, map[string]any{"errors": out})
}
