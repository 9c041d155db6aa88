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
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/pont-dev/pont/internal/audit"
	"github.com/pont-dev/pont/internal/auth"

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
	locations *catalog.Locations
	refresher Refresher
	policy    *auth.Policy
	audit     *audit.Log
	cfg       Config
	log       *slog.Logger
}

// Options are what the API needs.
type Options struct {
	Store     catalog.Store
	Processor *catalog.Processor
	Locations *catalog.Locations
	Refresher Refresher
	// Policy authorizes every request; the principal comes from the
	// request context (internal/auth's middleware puts it there).
	Policy *auth.Policy
	Audit  *audit.Log
	Config Config
	Log    *slog.Logger
}

// New returns the API.
func New(o Options) *API {
	cfg := o.Config
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxPageSize <= 0 {
		cfg.MaxPageSize = 1000
	}
	if cfg.DefaultPageSize <= 0 {
		cfg.DefaultPageSize = 20
	}
	if cfg.AllowedLocationTypes == nil {
		cfg.AllowedLocationTypes = []string{"url"}
	}
	return &API{
		store: auth.ScopedStore(o.Store), processor: o.Processor, locations: o.Locations, refresher: o.Refresher,
		policy: o.Policy, audit: o.Audit, cfg: cfg, log: o.Log,
	}
}

// Register mounts the routes on g (the /api/catalog group).
func (a *API) Register(g *echo.Group) {
	g.Use(refuseNUL, a.requireSignIn)
	g.GET("/entities", a.getEntities)
	g.GET("/entities/by-query", a.queryEntities)
	g.POST("/entities/by-query", a.queryEntitiesByPredicate, requireJSON)
	g.POST("/entities/by-refs", a.entitiesByRefs, requireJSON)
	g.GET("/entities/by-uid/:uid", a.entityByUID)
	g.DELETE("/entities/by-uid/:uid", a.deleteEntityByUID)
	g.GET("/entities/by-name/:kind/:namespace/:name", a.entityByName)
	g.GET("/entities/by-name/:kind/:namespace/:name/ancestry", a.ancestry)
	g.GET("/entity-facets", a.facets)
	g.POST("/entity-facets", a.facetsByPredicate, requireJSON)
	g.POST("/locations", a.createLocation, requireJSON)
	g.GET("/locations", a.listLocations)
	g.POST("/locations/by-query", a.queryLocations, requireJSON)
	g.GET("/locations/:id", a.getLocation)
	g.PUT("/locations/:id", a.updateLocation, requireJSON)
	g.DELETE("/locations/:id", a.deleteLocation)
	g.GET("/locations/by-entity/:kind/:namespace/:name", a.locationByEntity)
	g.POST("/refresh", a.refresh, requireJSON)
	g.POST("/validate-entity", a.validateEntity, requireJSON)
	g.POST("/analyze-location", a.analyzeLocation, requireJSON)
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

// bindJSON decodes the body into v. The body is capped by the server.
func bindJSON(c echo.Context, v any) error {
	data, err := io.ReadAll(c.Request().Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "request body too large")
		}
		return inputError("body", "cannot be read")
	}
	// NUL is valid JSON but no catalog value holds it, and PostgreSQL
	// refuses it in text: stop it here with a 400, not a 500 later.
	if bytes.Contains(data, []byte(`\u0000`)) {
		return inputError("body", "must not contain NUL characters")
	}
	if err := json.Unmarshal(data, v); err != nil {
		return inputError("body", "is not valid JSON: "+err.Error())
	}
	return nil
}

// refuseNUL answers 400 to a request whose path or query holds a NUL
// character (%00), which no catalog value holds.
func refuseNUL(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u := c.Request().URL
		if strings.ContainsRune(u.Path, 0) {
			return inputError("path", "must not contain NUL characters")
		}
		for key, values := range u.Query() {
			for _, v := range values {
				if strings.ContainsRune(key, 0) || strings.ContainsRune(v, 0) {
					return inputError(key, "must not contain NUL characters")
				}
			}
		}
		return next(c)
	}
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
	var buf bytes.Buffer
	written := 0
	for {
		q.Limit = chunk
		page, err := a.store.QueryEntities(c.Request().Context(), q)
		if err != nil {
			if !resp.Committed {
				return err
			}
			a.log.Error("stream entities", "err", err)
			return nil // the response has started; the client sees a truncated body
		}
		buf.Reset()
		if !resp.Committed {
			resp.Header().Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
			resp.WriteHeader(http.StatusOK)
			buf.WriteByte('[')
		}
		for _, e := range page.Items {
			if written > 0 {
				buf.WriteByte(',')
			}
			written++
			if err := writeEntity(&buf, e, fields); err != nil {
				return err
			}
		}
		if len(page.Items) < chunk {
			buf.WriteByte(']')
		}
		if _, err := resp.Write(buf.Bytes()); err != nil {
			return nil
		}
		if len(page.Items) < chunk {
			return nil
		}
		if len(q.Order) == 0 {
			q.AfterKey, q.Offset = page.Items[len(page.Items)-1].Key, 0
		} else {
			q.Offset += chunk
		}
	}
}

type pageInfo struct {
	NextCursor string `json:"nextCursor,omitempty"`
	PrevCursor string `json:"prevCursor,omitempty"`
}

// GET /entities/by-query?filter=&fields=&orderField=&fullTextFilterTerm=&fullTextFilterFields=&limit=&offset=&totalItems=&cursor=
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
		if cur.ExcludeTotal, err = totalItemsParam(q.Get("totalItems")); err != nil {
			return err
		}
	}
	return a.runQuery(c, cur, limit, fields)
}

func totalItemsParam(v string) (exclude bool, err error) {
	switch v {
	case "", "include":
		return false, nil
	case "exclude":
		return true, nil
	}
	return false, inputError("totalItems", fmt.Sprintf("%q must be include or exclude", v))
}

// POST /entities/by-query {query, limit, offset, orderBy, fullTextFilter, fields, totalItems, cursor}
func (a *API) queryEntitiesByPredicate(c echo.Context) error {
	var body struct {
		Cursor         string          `json:"cursor"`
		Query          json.RawMessage `json:"query"`
		Limit          *int            `json:"limit"`
		Offset         *int            `json:"offset"`
		OrderBy        []orderSpec     `json:"orderBy"`
		FullTextFilter *struct {
			Term   string   `json:"term"`
			Fields []string `json:"fields"`
		} `json:"fullTextFilter"`
		Fields     []string `json:"fields"`
		TotalItems string   `json:"totalItems"`
	}
	if err := bindJSON(c, &body); err != nil {
		return err
	}
	fields, err := parseFields(body.Fields)
	if err != nil {
		return err
	}
	limit := a.cfg.DefaultPageSize
	if body.Limit != nil {
		if *body.Limit < 0 {
			return inputError("limit", "must be a non-negative integer")
		}
		limit = *body.Limit
	}
	var cur queryCursor
	if body.Cursor != "" {
		if cur, err = decodeCursor(body.Cursor); err != nil {
			return err
		}
	} else {
		cur.Query = body.Query
		if body.Offset != nil {
			if *body.Offset < 0 {
				return inputError("offset", "must be a non-negative integer")
			}
			cur.Offset = *body.Offset
		}
		for i, o := range body.OrderBy {
			if o.Order != "" && o.Order != "asc" && o.Order != "desc" {
				return inputError(fmt.Sprintf("orderBy[%d].order", i), "must be asc or desc")
			}
			dir := o.Order
			if dir == "" {
				dir = "asc"
			}
			cur.Order = append(cur.Order, o.Field+","+dir)
		}
		if ft := body.FullTextFilter; ft != nil {
			cur.FullText, cur.FullFields = strings.TrimSpace(ft.Term), ft.Fields
		}
		if cur.ExcludeTotal, err = totalItemsParam(body.TotalItems); err != nil {
			return err
		}
	}
	return a.runQuery(c, cur, limit, fields)
}

type orderSpec struct {
	Field string `json:"field"`
	Order string `json:"order"`
}

// runQuery answers one page of a by-query request, GET or POST alike.
func (a *API) runQuery(c echo.Context, cur queryCursor, limit int, fields []string) error {
	limit = a.capLimit(limit)
	filter, err := parseFilter(cur.Filter)
	if err != nil {
		return err
	}
	predicate, err := parsePredicate("query", cur.Query)
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
	query := catalog.EntityQuery{Filter: catalog.And(filter, predicate), FullText: ft, Order: order, Offset: cur.Offset, Limit: limit, Count: !cur.ExcludeTotal}
	if len(order) == 0 {
		query.AfterKey = cur.After
	}
	if cur.ExcludeTotal {
		query.Limit = limit + 1 // one more tells whether a next page exists
	}
	var page *catalog.EntityPage
	if limit == 0 {
		// limit=0 asks for the count alone; it never means "no limit".
		page = &catalog.EntityPage{}
		if !cur.ExcludeTotal {
			query.Limit, query.Offset = 1, 0
			counted, cerr := a.store.QueryEntities(c.Request().Context(), query)
			if cerr != nil {
				return cerr
			}
			page.Total = counted.Total
		}
	} else {
		page, err = a.store.QueryEntities(c.Request().Context(), query)
		if err != nil {
			return err
		}
	}
	more := false
	if cur.ExcludeTotal {
		more = len(page.Items) > limit
		if more {
			page.Items = page.Items[:limit]
		}
		page.Total = 0
	} else {
		more = cur.Offset+len(page.Items) < page.Total
	}
	var info pageInfo
	if more && limit > 0 {
		next := cur
		next.Offset, next.TotalItems, next.IsPrevious = cur.Offset+limit, page.Total, false
		// In the default order (by ref) the next page starts after the
		// last ref seen: keyset paging. The offset still travels along,
		// for the previous page and for clients that count.
		next.After = ""
		if len(order) == 0 && len(page.Items) > 0 {
			next.After = page.Items[len(page.Items)-1].Key
		}
		info.NextCursor = encodeCursor(next)
	}
	if cur.Offset > 0 && limit > 0 {
		prev := cur
		prev.Offset, prev.TotalItems, prev.IsPrevious, prev.After = max(0, cur.Offset-limit), page.Total, true, ""
		info.PrevCursor = encodeCursor(prev)
	}
	// Written by hand: the entities are JSON already, and encoding/json
	// would parse each one again to check it.
	var buf bytes.Buffer
	buf.Grow(len(page.Items) * 2048)
	buf.WriteString(`{"items":[`)
	for i, e := range page.Items {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := writeEntity(&buf, e, fields); err != nil {
			return err
		}
	}
	buf.WriteString(`],"totalItems":`)
	buf.WriteString(strconv.Itoa(page.Total))
	buf.WriteString(`,"pageInfo":`)
	pi, _ := json.Marshal(info)
	buf.Write(pi)
	buf.WriteByte('}')
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, buf.Bytes())
}

// POST /entities/by-refs {entityRefs, fields}
func (a *API) entitiesByRefs(c echo.Context) error {
	var body struct {
		EntityRefs []string        `json:"entityRefs"`
		Fields     []string        `json:"fields"`
		Query      json.RawMessage `json:"query"`
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
	predicate, err := parsePredicate("query", body.Query)
	if err != nil {
		return err
	}
	filter = catalog.And(filter, predicate)
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
	narrowed := catalog.And(filter, catalog.Filter{Key: "metadata.uid", Values: uids})
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
	ctx := c.Request().Context()
	e, err := a.store.EntityByUID(ctx, c.Param("uid"))
	if err == nil {
		if err := a.authorizeEntity(ctx, auth.DeleteEntity, e); err != nil {
			return err
		}
		err = a.store.DeleteEntity(ctx, e.UID)
		a.audit.Outcome(ctx, string(auth.DeleteEntity), e.Key, err, nil)
	}
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
// The ancestry follows the Location entities that led to the entity, up to
// the Location entity of the registered location.
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
	var items []item
	var buf bytes.Buffer
	// The root of the answer is the entity asked for; items walk up from it.
	rootRef := refOfStored(e)
	seen := map[string]bool{}
	for hops := 0; e != nil && hops < 32 && !seen[e.Key]; hops++ {
		seen[e.Key] = true
		buf.Reset()
		renderEntity(&buf, e)
		it := item{Entity: slices.Clone(buf.Bytes()), ParentEntityRefs: []string{}}
		var parent *catalog.StoredEntity
		if e.Parent != "" {
			if pref, err := catalog.ParseRef(e.Parent, catalog.RefDefaults{}); err == nil {
				parent, err = a.store.EntityByKey(ctx, pref.Key())
				if err != nil && !errors.Is(err, catalog.ErrNotFound) {
					return err
				}
				if parent != nil {
					it.ParentEntityRefs = []string{e.Parent}
				}
			}
		}
		items = append(items, it)
		e = parent
	}
	return c.JSON(http.StatusOK, map[string]any{"rootEntityRef": rootRef, "items": items})
}

// refOfStored formats a stored entity's ref as written (its key is
// lower-cased throughout).
func refOfStored(e *catalog.StoredEntity) string {
	var head struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(e.Body, &head); err != nil {
		return e.Key
	}
	ns := head.Metadata.Namespace
	if ns == "" {
		ns = catalog.DefaultNamespace
	}
	return catalog.Ref{Kind: head.Kind, Namespace: ns, Name: head.Metadata.Name}.String()
}

// GET /entity-facets?facet=&filter=
func (a *API) facets(c echo.Context) error {
	q := c.QueryParams()
	filter, err := parseFilter(q["filter"])
	if err != nil {
		return err
	}
	return a.answerFacets(c, filter, q["facet"])
}

// POST /entity-facets {facets, query}
func (a *API) facetsByPredicate(c echo.Context) error {
	var body struct {
		Facets []string        `json:"facets"`
		Query  json.RawMessage `json:"query"`
	}
	if err := bindJSON(c, &body); err != nil {
		return err
	}
	filter, err := parsePredicate("query", body.Query)
	if err != nil {
		return err
	}
	return a.answerFacets(c, filter, body.Facets)
}

func (a *API) answerFacets(c echo.Context, filter catalog.Filter, facets []string) error {
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
	ctx := c.Request().Context()
	e, err := a.store.EntityByKey(ctx, ref.Key())
	if errors.Is(err, catalog.ErrNotFound) {
		return notFound(fmt.Sprintf("No entity %s", ref))
	}
	if err != nil {
		return err
	}
	if err := a.authorizeEntity(ctx, auth.RefreshEntity, e); err != nil {
		return err
	}
	if id, ok := strings.CutPrefix(e.Provider, "location:"); ok {
		a.refresher.Trigger(id)
	}
	a.audit.Outcome(ctx, string(auth.RefreshEntity), e.Key, nil, nil)
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
	if err := a.authorize(c.Request().Context(), auth.ValidateEntity, auth.Resource{}); err != nil {
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
	for _, e := range catalog.Problems(err) {
		msg := e.Reason
		if e.Field != "" {
			msg = e.Field + ": " + e.Reason
		}
		out = append(out, serialized{Name: "InputError", Message: msg, Field: e.Field})
	}
	return c.JSON(http.StatusBadRequest, map[string]any{"errors": out})
}
