package catalog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Locations registers, changes and removes locations: the rules that the
// Backstage REST API and the GraphQL API share. Authorization is the
// caller's: Locations only checks the request itself.
type Locations struct {
	store        Store
	processor    *Processor
	trigger      func(locationID string)
	allowedTypes []string
}

// NewLocations returns the location rules over store. trigger asks the
// runner to read a location now; allowedTypes are the types the APIs may
// register (catalog.api.allowedLocationTypes).
func NewLocations(store Store, processor *Processor, trigger func(locationID string), allowedTypes []string) *Locations {
	if trigger == nil {
		trigger = func(string) {}
	}
	return &Locations{store: store, processor: processor, trigger: trigger, allowedTypes: allowedTypes}
}

// ConflictError says a location with that type and target exists.
type ConflictError struct{ Message string }

func (e *ConflictError) Error() string { return e.Message }

// NotAllowedError says a location may not be changed through the API.
type NotAllowedError struct{ Message string }

func (e *NotAllowedError) Error() string { return e.Message }

func fieldError(field, reason string) error {
	return &FieldError{Document: -1, Field: field, Reason: reason}
}

// Check validates a type and target before anything is read or stored.
func (l *Locations) Check(typ, target string) error {
	if target == "" {
		return fieldError("target", "is required")
	}
	if !slices.Contains(l.allowedTypes, typ) {
		return fieldError("type", fmt.Sprintf("location type %q may not be registered through the API (allowed: %s)", typ, strings.Join(l.allowedTypes, ", ")))
	}
	return l.processor.Reader().CheckTarget(typ, target)
}

// RegisterRequest asks to register a location.
type RegisterRequest struct {
	Type, Target string
	// DryRun reads and validates the target and stores nothing.
	DryRun bool
	// OnConflict is "reject" (default) or "refresh" (read the existing
	// location again instead).
	OnConflict string
	// CreatedBy is the subject of the principal registering it.
	CreatedBy string
}

// RegisterResult is what Register did.
type RegisterResult struct {
	Location Location
	// Entities the location provides (dry runs only).
	Entities []*Entity
	// Exists says the location was registered already.
	Exists bool
}

// Register registers a location, or dry-runs it.
func (l *Locations) Register(ctx context.Context, req RegisterRequest) (*RegisterResult, error) {
	if req.Type == "" {
		req.Type = "url"
	}
	if err := l.Check(req.Type, req.Target); err != nil {
		return nil, err
	}
	if req.OnConflict != "" && req.OnConflict != "reject" && req.OnConflict != "refresh" {
		return nil, fieldError("onConflict", fmt.Sprintf("%q must be reject or refresh", req.OnConflict))
	}
	existing, err := l.store.LocationByTarget(ctx, req.Type, req.Target)
	exists := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	conflict := &ConflictError{Message: fmt.Sprintf("Location %s:%s already exists", req.Type, req.Target)}
	if req.DryRun {
		loc := Location{ID: LocationRef(req.Type, req.Target), Type: req.Type, Target: req.Target}
		if exists {
			loc = existing
		}
		res, err := l.processor.DryRun(ctx, loc)
		if err != nil {
			return nil, err
		}
		if len(res.Errors) > 0 {
			first := res.Errors[0]
			field := first.Field
			if field == "" {
				field = "target"
			}
			return nil, fieldError(field, DescribeError(first))
		}
		entities := res.Entities
		if entities == nil {
			entities = []*Entity{}
		}
		return &RegisterResult{Location: loc, Entities: entities, Exists: exists}, nil
	}
	if exists {
		if req.OnConflict == "refresh" {
			l.trigger(existing.ID)
			return &RegisterResult{Location: existing, Entities: []*Entity{}, Exists: true}, nil
		}
		return nil, conflict
	}
	loc, err := l.store.CreateLocation(ctx, Location{Type: req.Type, Target: req.Target, Origin: "api", CreatedBy: req.CreatedBy})
	if errors.Is(err, ErrAlreadyExists) {
		return nil, conflict
	}
	if err != nil {
		return nil, err
	}
	l.trigger(loc.ID)
	return &RegisterResult{Location: loc, Entities: []*Entity{}}, nil
}

// Changeable reads a location the API may change or remove: one that
// exists (ErrNotFound otherwise) and does not come from configuration.
func (l *Locations) Changeable(ctx context.Context, id, verb string) (Location, error) {
	loc, err := l.store.Location(ctx, id)
	if err != nil {
		return loc, err
	}
	if loc.Origin == "config" {
		return loc, &NotAllowedError{Message: fmt.Sprintf("location %s comes from configuration; %s it there", id, verb)}
	}
	return loc, nil
}

// Update changes a location's type and target.
func (l *Locations) Update(ctx context.Context, id, typ, target string) (Location, error) {
	if typ == "" {
		typ = "url"
	}
	loc, err := l.Changeable(ctx, id, "change")
	if err != nil {
		return loc, err
	}
	if loc.Type == typ && loc.Target == target {
		return loc, nil
	}
	if err := l.Check(typ, target); err != nil {
		return loc, err
	}
	updated, err := l.store.UpdateLocation(ctx, Location{ID: id, Type: typ, Target: target})
	if errors.Is(err, ErrAlreadyExists) {
		return loc, &ConflictError{Message: fmt.Sprintf("Location %s:%s already exists", typ, target)}
	}
	if err != nil {
		return loc, err
	}
	l.trigger(id)
	return updated, nil
}

// Delete removes a location and every entity it provides.
func (l *Locations) Delete(ctx context.Context, id string) error {
	if _, err := l.Changeable(ctx, id, "remove"); err != nil {
		return err
	}
	if err := l.store.DeleteLocation(ctx, id); err != nil {
		return err
	}
	l.trigger(id)
	return nil
}

// Refresh asks for the location to be read again now.
func (l *Locations) Refresh(id string) { l.trigger(id) }
