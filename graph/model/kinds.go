package model

// Wrap returns the typed view of an entity's kind.
func Wrap(v *View) Entity {
	switch v.Row.Kind {
	case "component":
		return &Component{v}
	case "api":
		return &API{v}
	case "system":
		return &System{v}
	case "domain":
		return &Domain{v}
	case "resource":
		return &Resource{v}
	case "group":
		return &Group{v}
	case "user":
		return &User{v}
	case "location":
		return &Location{v}
	}
	return &GenericEntity{v}
}

func asComponent(v *View) *Component { return &Component{v} }
func asAPI(v *View) *API             { return &API{v} }
func asSystem(v *View) *System       { return &System{v} }
func asDomain(v *View) *Domain       { return &Domain{v} }
func asResource(v *View) *Resource   { return &Resource{v} }
func asGroup(v *View) *Group         { return &Group{v} }
func asUser(v *View) *User           { return &User{v} }

// Component is a piece of software.
type Component struct{ *View }

// Type is spec.type.
func (c *Component) Type() (*string, error) { return c.SpecType() }

// System is the system the component is part of.
func (c *Component) System() (*System, error) {
	return relatedOne(c.View, "partOf", "system", asSystem)
}

// SubcomponentOf is the component this one is part of.
func (c *Component) SubcomponentOf() (*Component, error) {
	return relatedOne(c.View, "partOf", "component", asComponent)
}

// Subcomponents are the components part of this one.
func (c *Component) Subcomponents() ([]*Component, error) {
	return related(c.View, "hasPart", "component", asComponent)
}

// ProvidesApis are the APIs the component provides.
func (c *Component) ProvidesApis() ([]*API, error) {
	return related(c.View, "providesApi", "api", asAPI)
}

// ConsumesApis are the APIs the component consumes.
func (c *Component) ConsumesApis() ([]*API, error) {
	return related(c.View, "consumesApi", "api", asAPI)
}

// DependsOn are the entities the component depends on.
func (c *Component) DependsOn() ([]Entity, error) { return c.all("dependsOn") }

// DependencyOf are the entities depending on the component.
func (c *Component) DependencyOf() ([]Entity, error) {
	return c.all("dependencyOf")
}

// API is an interface components provide and consume.
type API struct{ *View }

// Type is spec.type.
func (a *API) Type() (*string, error) { return a.SpecType() }

// Definition is spec.definition.
func (a *API) Definition() (*string, error) { return a.specField("definition") }

// System is the system the API is part of.
func (a *API) System() (*System, error) {
	return relatedOne(a.View, "partOf", "system", asSystem)
}

// Providers are the components providing the API.
func (a *API) Providers() ([]*Component, error) {
	return related(a.View, "apiProvidedBy", "component", asComponent)
}

// Consumers are the components consuming the API.
func (a *API) Consumers() ([]*Component, error) {
	return related(a.View, "apiConsumedBy", "component", asComponent)
}

// System groups components, APIs and resources.
type System struct{ *View }

// Type is spec.type.
func (s *System) Type() (*string, error) { return s.SpecType() }

// Domain is the domain the system is part of.
func (s *System) Domain() (*Domain, error) {
	return relatedOne(s.View, "partOf", "domain", asDomain)
}

// Components are the system's components.
func (s *System) Components() ([]*Component, error) {
	return related(s.View, "hasPart", "component", asComponent)
}

// Apis are the system's APIs.
func (s *System) Apis() ([]*API, error) {
	return related(s.View, "hasPart", "api", asAPI)
}

// Resources are the system's resources.
func (s *System) Resources() ([]*Resource, error) {
	return related(s.View, "hasPart", "resource", asResource)
}

// Domain is a business area.
type Domain struct{ *View }

// Type is spec.type.
func (d *Domain) Type() (*string, error) { return d.SpecType() }

// SubdomainOf is the domain this one is part of.
func (d *Domain) SubdomainOf() (*Domain, error) {
	return relatedOne(d.View, "partOf", "domain", asDomain)
}

// Subdomains are the domains part of this one.
func (d *Domain) Subdomains() ([]*Domain, error) {
	return related(d.View, "hasPart", "domain", asDomain)
}

// Systems are the domain's systems.
func (d *Domain) Systems() ([]*System, error) {
	return related(d.View, "hasPart", "system", asSystem)
}

// Resource is infrastructure a component needs.
type Resource struct{ *View }

// Type is spec.type.
func (r *Resource) Type() (*string, error) { return r.SpecType() }

// System is the system the resource is part of.
func (r *Resource) System() (*System, error) {
	return relatedOne(r.View, "partOf", "system", asSystem)
}

// DependsOn are the entities the resource depends on.
func (r *Resource) DependsOn() ([]Entity, error) { return r.all("dependsOn") }

// DependencyOf are the entities depending on the resource.
func (r *Resource) DependencyOf() ([]Entity, error) {
	return r.all("dependencyOf")
}

// Group is a team.
type Group struct{ *View }

// Type is spec.type.
func (g *Group) Type() (*string, error) { return g.SpecType() }

// Parent is the parent group.
func (g *Group) Parent() (*Group, error) {
	return relatedOne(g.View, "childOf", "group", asGroup)
}

// Children are the child groups.
func (g *Group) Children() ([]*Group, error) {
	return related(g.View, "parentOf", "group", asGroup)
}

// Members are the group's users.
func (g *Group) Members() ([]*User, error) {
	return related(g.View, "hasMember", "user", asUser)
}

// OwnedEntities are the entities the group owns.
func (g *Group) OwnedEntities() ([]Entity, error) { return g.all("ownerOf") }

// User is a person.
type User struct{ *View }

// MemberOf are the user's groups.
func (u *User) MemberOf() ([]*Group, error) {
	return related(u.View, "memberOf", "group", asGroup)
}

// OwnedEntities are the entities the user owns.
func (u *User) OwnedEntities() ([]Entity, error) { return u.all("ownerOf") }

// Location is a Location entity.
type Location struct{ *View }

// Type is spec.type.
func (l *Location) Type() (*string, error) { return l.SpecType() }

// Targets are spec.target and spec.targets.
func (l *Location) Targets() ([]string, error) {
	doc, err := l.document()
	if err != nil {
		return nil, err
	}
	out := []string{}
	if t, _ := doc.Spec["target"].(string); t != "" {
		out = append(out, t)
	}
	if ts, ok := doc.Spec["targets"].([]any); ok {
		for _, t := range ts {
			if s, ok := t.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out, nil
}

// GenericEntity is an entity of a kind without its own view.
type GenericEntity struct{ *View }
