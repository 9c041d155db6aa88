package auth

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/internal/audit"
	"github.com/pont-dev/pont/internal/auth/principal"
	"github.com/pont-dev/pont/internal/config"
)

// Permission names one thing a principal may be allowed to do. Denials
// name the permission, so people know what to ask for.
type Permission string

// The permissions. docs/authorization.md lists who holds each.
const (
	ReadEntity      Permission = "catalog.entity.read"
	RefreshEntity   Permission = "catalog.entity.refresh"
	DeleteEntity    Permission = "catalog.entity.delete"
	ValidateEntity  Permission = "catalog.entity.validate"
	ReadLocation    Permission = "catalog.location.read"
	CreateLocation  Permission = "catalog.location.create"
	RefreshLocation Permission = "catalog.location.refresh"
	UpdateLocation  Permission = "catalog.location.update"
	DeleteLocation  Permission = "catalog.location.delete"
	ReadAudit       Permission = "audit.read"
	ReadToken       Permission = "token.read"
	CreateToken     Permission = "token.create"
	RevokeToken     Permission = "token.revoke"
	// Self-service actions (plugins/runner).
	RunAction  Permission = "action.run"
	ReadRun    Permission = "action.run.read"
	ApproveRun Permission = "action.run.approve"
	CancelRun  Permission = "action.run.cancel"
)

// mutating lists the permissions that change something: a read-only API
// token never holds them.
var mutating = []Permission{RefreshEntity, DeleteEntity, CreateLocation, RefreshLocation, UpdateLocation, DeleteLocation, CreateToken, RevokeToken,
	RunAction, ApproveRun, CancelRun}

// Resource is what a permission is asked on.
type Resource struct {
	// Kind is the entity's lower-cased kind (ReadEntity).
	Kind string
	// Name is what a denial names: an entity ref, a location id.
	Name string
	// Owners are the owner ref keys of an entity (its ownedBy relations).
	Owners []string
	// CreatedBy is the subject that registered a location or minted a token.
	CreatedBy string
	// Config marks a location from configuration: nobody changes it
	// through the API, and only admins refresh it.
	Config bool
	// Approvers say who approves a run (ApproveRun): "owners" (of the
	// target, in Owners), "admins", or group refs.
	Approvers []string
}

// DeniedError is a refusal. The API answers it with 403 (401 when the
// caller is not signed in) and a message naming the permission.
type DeniedError struct {
	Permission Permission
	Reason     string
	// Anonymous is set when nobody is signed in.
	Anonymous bool
}

func (e *DeniedError) Error() string {
	return fmt.Sprintf("permission %s denied: %s", e.Permission, e.Reason)
}

// Policy decides what a principal may do: every check in Pont comes here
// (or reads what Apply put on the principal), so the rules live in one
// place. docs/authorization.md describes them.
type Policy struct {
	adminGroups       []string
	readKinds         []string
	registerLocations string
}

// NewPolicy builds the policy from configuration.
func NewPolicy(cfg config.Policy) *Policy {
	p := &Policy{registerLocations: cfg.RegisterLocations}
	for _, g := range cfg.AdminGroups {
		if r, err := catalog.ParseRef(g, catalog.RefDefaults{Kind: "group", Namespace: "default"}); err == nil {
			p.adminGroups = append(p.adminGroups, r.Key())
		}
	}
	if len(cfg.ReadKinds) > 0 {
		p.readKinds = []string{}
		for _, k := range cfg.ReadKinds {
			p.readKinds = append(p.readKinds, strings.ToLower(k))
		}
	}
	return p
}

// Apply decides the standing permissions of a principal whose identity
// (user and groups) is known: whether it is an admin, and which kinds it
// reads. Call it whenever a principal is built.
func (pol *Policy) Apply(p *principal.Principal) {
	switch p.Kind {
	case principal.Local, principal.System:
		p.Admin, p.ReadKinds = true, nil
		return
	}
	p.Admin = slices.ContainsFunc(p.Groups, func(g string) bool { return slices.Contains(pol.adminGroups, g) })
	p.ReadKinds = nil
	if !p.Admin && pol.readKinds != nil {
		p.ReadKinds = slices.Clone(pol.readKinds)
	}
}

// Authorize returns nil when p may do perm on res, and a *DeniedError
// saying why not otherwise.
func (pol *Policy) Authorize(p *principal.Principal, perm Permission, res Resource) error {
	deny := func(format string, args ...any) error {
		return &DeniedError{Permission: perm, Reason: fmt.Sprintf(format, args...)}
	}
	if p == nil {
		return &DeniedError{Permission: perm, Reason: "not signed in", Anonymous: true}
	}
	if slices.Contains(mutating, perm) && !p.CanWrite() {
		return deny("the API token has no %q scope", principal.ScopeWrite)
	}
	if perm == CreateToken && p.Kind == principal.Token {
		return deny("API tokens cannot mint tokens; sign in to mint one")
	}
	if (perm == UpdateLocation || perm == DeleteLocation) && res.Config {
		return deny("location %s comes from configuration; change the configuration instead", res.Name)
	}
	if perm == ApproveRun {
		return pol.authorizeApproval(p, res, deny)
	}
	if p.Admin {
		return nil
	}
	switch perm {
	case ReadEntity:
		if p.CanReadKind(res.Kind) {
			return nil
		}
		return deny("kind %s is not readable", res.Kind)
	case ValidateEntity, ReadLocation, ReadToken, CreateToken:
		return nil
	case RefreshEntity, DeleteEntity:
		if slices.ContainsFunc(res.Owners, p.Owns) {
			return nil
		}
		if len(res.Owners) == 0 {
			return deny("%s has no owner; only admins may change it", res.Name)
		}
		return deny("%s is owned by %s, and you are neither in it nor an admin", res.Name, strings.Join(res.Owners, ", "))
	case CreateLocation:
		if pol.registerLocations == "signedIn" {
			return nil
		}
		return deny("only admins register locations here")
	case RefreshLocation, UpdateLocation, DeleteLocation:
		if res.CreatedBy != "" && res.CreatedBy == p.Subject {
			return nil
		}
		return deny("location %s was registered by someone else; only they or an admin may change it", res.Name)
	case RevokeToken:
		if res.CreatedBy == p.Subject {
			return nil
		}
		return deny("token %s belongs to someone else", res.Name)
	case ReadAudit:
		return deny("admins only")
	case RunAction:
		if slices.ContainsFunc(res.Owners, p.Owns) {
			return nil
		}
		return deny("actions on %s are for its owners (%s) and admins", res.Name, strings.Join(res.Owners, ", "))
	case ReadRun:
		if res.CreatedBy == p.Subject || slices.ContainsFunc(res.Owners, p.Owns) {
			return nil
		}
		return deny("run %s is visible to who asked for it, its target's owners and admins", res.Name)
	case CancelRun:
		if res.CreatedBy == p.Subject {
			return nil
		}
		return deny("run %s was asked for by someone else; only they or an admin may cancel it", res.Name)
	}
	return deny("unknown permission")
}

// authorizeApproval: nobody approves their own run, admins included; then
// whoever the action's approvers name.
func (pol *Policy) authorizeApproval(p *principal.Principal, res Resource, deny func(string, ...any) error) error {
	if res.CreatedBy != "" && res.CreatedBy == p.Subject {
		return deny("you asked for run %s; someone else must approve it", res.Name)
	}
	approvers := res.Approvers
	if len(approvers) == 0 {
		approvers = []string{"owners", "admins"}
	}
	for _, a := range approvers {
		switch a {
		case "admins":
			if p.Admin {
				return nil
			}
		case "owners":
			if slices.ContainsFunc(res.Owners, p.Owns) {
				return nil
			}
		default:
			if p.Owns(a) {
				return nil
			}
		}
	}
	return deny("run %s is approved by %s, and you are none of them", res.Name, strings.Join(approvers, ", "))
}

// Enforce authorizes perm on res for the principal of ctx, as Authorize
// does, and writes a refusal to the audit trail. Both APIs call it before
// every mutation.
func (pol *Policy) Enforce(ctx context.Context, trail *audit.Log, perm Permission, res Resource) error {
	err := pol.Authorize(principal.FromContext(ctx), perm, res)
	if err != nil {
		trail.Record(ctx, audit.Event{Action: string(perm), Target: res.Name, Outcome: audit.Denied, Reason: err.Error()})
	}
	return err
}
