package catalog

import (
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// KindRule accepts one kind beyond the built-in ones, like a kind allowed by
// Backstage's catalog.rules.
type KindRule struct {
	// APIVersion is the apiVersion the kind must be written with; "" accepts
	// any. A rule naming a built-in kind (Component, Template, …) only takes
	// effect with an explicit APIVersion that the built-in kind does not
	// already have, for example Template with backstage.io/v1beta2: a
	// wildcard must not let `kind: Component` skip Component's spec checks
	// by naming some other apiVersion.
	APIVersion string
	// Kind is the kind, compared case-insensitively.
	Kind string
}

// Validator checks descriptor documents by Backstage's rules. The zero value
// (and a nil *Validator) accepts the built-in kinds only.
type Validator struct {
	// ExtraKinds are accepted besides the built-in kinds. Their spec is only
	// checked to be a mapping: Pont does not know their shape.
	ExtraKinds []KindRule
	// AllowedKinds, when not nil, are the only kinds (compared
	// case-insensitively) this validator accepts at all. It is how a
	// location is kept from providing, say, User and Group entities that
	// could grant its author group memberships. An empty non-nil list
	// allows nothing.
	AllowedKinds []string
}

// Validate checks one document by Backstage's rules (the entity envelope,
// metadata formats, and the spec of built-in kinds) and converts it to an
// Entity. It reports every problem of the document at once, as Errors.
//
// The Entity keeps the namespace as written (possibly empty). It leaves out
// metadata.uid, metadata.etag and metadata.generation: the catalog assigns
// those, and Backstage likewise ignores values written in a file. Every
// other metadata key Pont has no field for goes to Metadata.Extra.
func (v *Validator) Validate(doc RawDocument) (*Entity, error) {
	c := &entityChecker{doc: doc}
	e := c.entity(v)
	if err := c.probs.err(); err != nil {
		return nil, err
	}
	return e, nil
}

// Builtin reports whether kind is one of the kinds Pont knows the spec of,
// spelled exactly as Backstage spells it (Component, API, Resource, System,
// Domain, Group, User, Location, Template).
func (v *Validator) Builtin(kind string) bool {
	return findBuiltinKind(kind) != nil
}

// rootFields are the only fields an entity may have at its root: Backstage's
// NoForeignRootFieldsEntityPolicy. relations and status are not among them:
// the catalog computes those, and Backstage refuses them in a descriptor.
var rootFields = []string{"apiVersion", "kind", "metadata", "spec"}

// serverManagedMetadata are metadata keys the catalog assigns itself. Their
// type is checked, as Backstage's schema does, but their value is dropped.
var serverManagedMetadata = []string{"uid", "etag", "generation"}

// entityChecker holds the problems found in one document.
type entityChecker struct {
	doc   RawDocument
	probs problemList
}

// fail records a problem with the field at path.
func (c *entityChecker) fail(path, format string, args ...any) {
	if c.probs.full() {
		c.probs.dropped++ // skip the work for a problem nobody will see
		return
	}
	path = truncateFieldPath(path)
	c.probs.add(&FieldError{
		File:     c.doc.File,
		Document: c.doc.Index,
		Line:     c.lineOf(path),
		Field:    path,
		Reason:   fmt.Sprintf(format, args...),
	})
}

// lineOf finds the line of a field, or of its closest written parent when
// the field itself is missing: a missing spec.owner is reported on the line
// of spec. The path is at most maxFieldPathLen long (see fail), which bounds
// the lookups.
func (c *entityChecker) lineOf(path string) int {
	for path != "" {
		if line, ok := c.doc.Lines[path]; ok {
			return line
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return c.doc.Line
}

// entity checks the whole document and builds the Entity from it.
func (c *entityChecker) entity(v *Validator) *Entity {
	obj := c.doc.Object
	if obj == nil {
		c.fail("", "the document is empty")
		return nil
	}
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		if slices.Contains(rootFields, k) {
			continue
		}
		switch k {
		case "relations", "status":
			c.fail(k, "is computed by the catalog and may not be written in a descriptor")
		default:
			c.fail(k, "unknown field; an entity has only apiVersion, kind, metadata and spec at its root")
		}
	}

	e := &Entity{}
	apiVersion, okVersion := c.requiredString("apiVersion", obj)
	if okVersion && !isValidAPIVersion(apiVersion) {
		c.fail("apiVersion", `must look like "backstage.io/v1alpha1": an optional DNS subdomain and "/", then 1-63 letters and digits; got %s`, quoteValue(apiVersion))
		okVersion = false
	}
	kind, okKind := c.requiredString("kind", obj)
	if okKind && !isValidKindName(kind) {
		c.fail("kind", "must be 1-63 letters and digits, starting with a letter; got %s", quoteValue(kind))
		okKind = false
	}
	e.APIVersion, e.Kind = apiVersion, kind

	var def *builtinKind
	if okVersion && okKind {
		def = c.resolveKind(v, apiVersion, kind)
	}

	if raw, ok := obj["metadata"]; !ok {
		c.fail("metadata", "is required")
	} else if m, ok := raw.(map[string]any); !ok {
		c.fail("metadata", "must be a mapping, got %s", describeValue(raw))
	} else {
		e.Metadata = c.metadata(m)
	}

	raw, hasSpec := obj["spec"]
	spec, specIsMap := raw.(map[string]any)
	switch {
	case !hasSpec && def != nil:
		// The schemas of all built-in kinds require spec.
		c.fail("spec", "is required for kind %s", kind)
	case hasSpec && !specIsMap:
		c.fail("spec", "must be a mapping, got %s", describeValue(raw))
	case specIsMap:
		if def != nil {
			c.spec(def, spec)
		}
		e.Spec = copyJSONMap(spec)
	}
	return e
}

// resolveKind finds the rules for apiVersion and kind, reporting a problem
// when the kind is unknown or not allowed. It returns the built-in kind whose
// spec rules apply, or nil for an extra kind (or a refused one).
func (c *entityChecker) resolveKind(v *Validator, apiVersion, kind string) *builtinKind {
	var extra []KindRule
	if v != nil {
		extra = v.ExtraKinds
		if v.AllowedKinds != nil && !slices.ContainsFunc(v.AllowedKinds, func(k string) bool { return strings.EqualFold(k, kind) }) {
			c.fail("kind", "this location may not provide entities of kind %s", quoteValue(kind))
		}
	}

	if b := findBuiltinKindFold(kind); b != nil {
		if b.name != kind {
			// Backstage matches kinds exactly; "component" is no Component.
			c.fail("kind", "unknown kind %s; kinds are case-sensitive, did you mean %q?", quoteValue(kind), b.name)
			return nil
		}
		if slices.Contains(b.apiVersions, apiVersion) {
			return b
		}
		// Only a rule naming this apiVersion explicitly adds one to a
		// built-in kind; see KindRule.
		for _, r := range extra {
			if r.APIVersion != "" && r.APIVersion == apiVersion && strings.EqualFold(r.Kind, kind) {
				return nil
			}
		}
		c.fail("apiVersion", "kind %s must have apiVersion %s; got %s", kind, strings.Join(b.apiVersions, " or "), quoteValue(apiVersion))
		return nil
	}

	var versions []string
	for _, r := range extra {
		if !strings.EqualFold(r.Kind, kind) {
			continue
		}
		if r.APIVersion == "" || r.APIVersion == apiVersion {
			return nil
		}
		versions = append(versions, r.APIVersion)
	}
	if len(versions) > 0 {
		c.fail("apiVersion", "kind %s must have apiVersion %s; got %s", kind, strings.Join(versions, " or "), quoteValue(apiVersion))
		return nil
	}
	c.fail("kind", "unknown kind %s: not a built-in kind (%s) and not configured as an extra kind", quoteValue(kind), strings.Join(builtinKindNames(), ", "))
	return nil
}

// requiredString reads a required string field of m at path. The key looked
// up in m is the path's last segment: the fields read this way never have a
// dot in their name.
func (c *entityChecker) requiredString(path string, m map[string]any) (string, bool) {
	raw, ok := m[lastSegment(path)]
	if !ok {
		c.fail(path, "is required")
		return "", false
	}
	s, ok := raw.(string)
	if !ok {
		c.fail(path, "must be a string, got %s", describeValue(raw))
		return "", false
	}
	if s == "" {
		c.fail(path, "must not be empty")
		return "", false
	}
	return s, true
}

// optionalString reads an optional string field; present is false when the
// field is missing or not a string (which is reported). nonEmpty refuses "",
// as the schemas' minLength: 1 does.
func (c *entityChecker) optionalString(path string, m map[string]any, nonEmpty bool) (s string, present bool) {
	raw, ok := m[lastSegment(path)]
	if !ok {
		return "", false
	}
	s, ok = raw.(string)
	if !ok {
		c.fail(path, "must be a string, got %s", describeValue(raw))
		return "", false
	}
	if nonEmpty && s == "" {
		c.fail(path, "must not be empty")
		return "", false
	}
	return s, true
}

// optionalMap reads an optional mapping field.
func (c *entityChecker) optionalMap(path string, m map[string]any) (map[string]any, bool) {
	raw, ok := m[lastSegment(path)]
	if !ok {
		return nil, false
	}
	out, ok := raw.(map[string]any)
	if !ok {
		c.fail(path, "must be a mapping, got %s", describeValue(raw))
		return nil, false
	}
	return out, true
}

// optionalList reads an optional list field.
func (c *entityChecker) optionalList(path string, m map[string]any) ([]any, bool) {
	raw, ok := m[lastSegment(path)]
	if !ok {
		return nil, false
	}
	out, ok := raw.([]any)
	if !ok {
		c.fail(path, "must be a list, got %s", describeValue(raw))
		return nil, false
	}
	return out, true
}

// metadata checks the metadata block: EntityMeta.schema.json for the types,
// FieldFormatEntityPolicy for the formats.
func (c *entityChecker) metadata(m map[string]any) Metadata {
	var md Metadata
	if name, ok := c.requiredString("metadata.name", m); ok {
		if isValidEntityName(name) {
			md.Name = name
		} else {
			c.fail("metadata.name", "must be sequences of [a-zA-Z0-9] separated by any of [-_.], 1-63 characters in total; got %s", quoteValue(name))
		}
	}
	if ns, ok := c.optionalString("metadata.namespace", m, true); ok {
		if isValidDNSLabel(ns) {
			md.Namespace = ns
		} else {
			c.fail("metadata.namespace", "must be sequences of [a-z0-9] separated by single dashes, 1-63 characters in total (a DNS label); got %s", quoteValue(ns))
		}
	}
	md.Title, _ = c.optionalString("metadata.title", m, true)
	md.Description, _ = c.optionalString("metadata.description", m, false)
	c.optionalString("metadata.uid", m, true)
	c.optionalString("metadata.etag", m, true)
	if raw, ok := m["generation"]; ok && !isPositiveInteger(raw) {
		c.fail("metadata.generation", "must be a positive integer, got %s", describeValue(raw))
	}

	if labels, ok := c.optionalMap("metadata.labels", m); ok {
		md.Labels = c.stringMap("metadata.labels", labels, "label", isValidLabelValue,
			"must be empty or sequences of [a-zA-Z0-9] separated by any of [-_.], at most 63 characters in total")
	}
	if annotations, ok := c.optionalMap("metadata.annotations", m); ok {
		md.Annotations = c.stringMap("metadata.annotations", annotations, "annotation", nil, "")
	}
	if tags, ok := c.optionalList("metadata.tags", m); ok {
		md.Tags = c.tags(tags)
	}
	if links, ok := c.optionalList("metadata.links", m); ok {
		md.Links = c.links(links)
	}

	for _, k := range slices.Sorted(maps.Keys(m)) {
		if metadataKnownKeys[k] || slices.Contains(serverManagedMetadata, k) {
			continue
		}
		if md.Extra == nil {
			md.Extra = map[string]any{}
		}
		md.Extra[k] = copyJSONValue(m[k])
	}
	return md
}

// stringMap checks labels or annotations: keys are an optional DNS subdomain
// prefix and a name, values are strings, and for labels the values have a
// format too. Keys and values are both reported on "metadata.labels.KEY", as
// Backstage does.
func (c *entityChecker) stringMap(path string, m map[string]any, what string, validValue func(string) bool, valueRule string) map[string]string {
	out := make(map[string]string, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		field := fieldPath(path, k)
		if !isValidPrefixedName(k) {
			c.fail(field, `%s key must be a name of 1-63 characters ([a-zA-Z0-9] separated by any of [-_.]), optionally prefixed by a DNS subdomain and "/", like "example.com/team"; got %s`, what, quoteValue(k))
			continue
		}
		s, ok := m[k].(string)
		if !ok {
			c.fail(field, "%s value must be a string, got %s; quote it", what, describeValue(m[k]))
			continue
		}
		if validValue != nil && !validValue(s) {
			c.fail(field, "%s value %s; got %s", what, valueRule, quoteValue(s))
			continue
		}
		out[k] = s
	}
	return out
}

func (c *entityChecker) tags(list []any) []string {
	out := make([]string, 0, len(list))
	for i, raw := range list {
		field := indexPath("metadata.tags", i)
		s, ok := raw.(string)
		if !ok {
			c.fail(field, "must be a string, got %s", describeValue(raw))
			continue
		}
		if !isValidTag(s) {
			c.fail(field, "must be sequences of [a-z0-9:+#] separated by single dashes, 1-63 characters in total; got %s", quoteValue(s))
			continue
		}
		out = append(out, s)
	}
	return out
}

func (c *entityChecker) links(list []any) []Link {
	out := make([]Link, 0, len(list))
	for i, raw := range list {
		field := indexPath("metadata.links", i)
		m, ok := raw.(map[string]any)
		if !ok {
			c.fail(field, "must be a mapping with a url, got %s", describeValue(raw))
			continue
		}
		var l Link
		valid := true
		if u, ok := c.requiredString(field+".url", m); !ok {
			valid = false
		} else if reason := linkURLProblem(u); reason != "" {
			c.fail(field+".url", "%s; got %s", reason, quoteValue(u))
			valid = false
		} else {
			l.URL = u
		}
		if title, ok := c.optionalString(field+".title", m, true); ok {
			if strings.TrimSpace(title) == "" {
				c.fail(field+".title", "must not be blank")
				valid = false
			}
			l.Title = title
		}
		if icon, ok := c.optionalString(field+".icon", m, true); ok {
			if !isValidEntityName(icon) {
				c.fail(field+".icon", "must be an icon key: sequences of [a-zA-Z0-9] separated by any of [-_.], 1-63 characters in total; got %s", quoteValue(icon))
				valid = false
			}
			l.Icon = icon
		}
		l.Type, _ = c.optionalString(field+".type", m, true)
		if valid {
			out = append(out, l)
		}
	}
	return out
}

// The formats below are Backstage's KubernetesValidatorFunctions and
// CommonValidatorFunctions (packages/catalog-model/src/validation), which
// FieldFormatEntityPolicy applies. All are ASCII-only, which is also what
// keeps look-alike letters (a Cyrillic "а" for a Latin "a") out of names.
var (
	entityNameRE = regexp.MustCompile(`^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`)
	dnsLabelRE   = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	tagRE        = regexp.MustCompile(`^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$`)
	kindRE       = regexp.MustCompile(`^[a-zA-Z][a-z0-9A-Z]*$`)
	versionRE    = regexp.MustCompile(`^[a-z0-9A-Z]+$`)
	urlSchemeRE  = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*):`)
)

// isValidEntityName is isValidObjectName: 1-63 characters of [a-zA-Z0-9]
// separated by [-_.].
func isValidEntityName(s string) bool {
	return len(s) >= 1 && len(s) <= 63 && entityNameRE.MatchString(s)
}

// isValidDNSLabel is an RFC 1123 label, which is what a namespace must be.
func isValidDNSLabel(s string) bool {
	return len(s) >= 1 && len(s) <= 63 && dnsLabelRE.MatchString(s)
}

// isValidDNSSubdomain is dot-separated DNS labels, at most 253 characters.
func isValidDNSSubdomain(s string) bool {
	if len(s) < 1 || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if !isValidDNSLabel(label) {
			return false
		}
	}
	return true
}

// splitPrefixed splits "prefix/suffix" or "suffix", as Backstage's
// isValidPrefixAndOrSuffix does; more than one "/" is invalid.
func splitPrefixed(s string) (prefix, suffix string, hasPrefix, ok bool) {
	parts := strings.Split(s, "/")
	switch len(parts) {
	case 1:
		return "", parts[0], false, true
	case 2:
		return parts[0], parts[1], true, true
	}
	return "", "", false, false
}

// isValidPrefixedName is the label and annotation key format.
func isValidPrefixedName(s string) bool {
	prefix, name, hasPrefix, ok := splitPrefixed(s)
	if !ok || (hasPrefix && !isValidDNSSubdomain(prefix)) {
		return false
	}
	return isValidEntityName(name)
}

func isValidLabelValue(s string) bool { return s == "" || isValidEntityName(s) }

func isValidTag(s string) bool { return len(s) >= 1 && len(s) <= 63 && tagRE.MatchString(s) }

func isValidKindName(s string) bool { return len(s) >= 1 && len(s) <= 63 && kindRE.MatchString(s) }

func isValidAPIVersion(s string) bool {
	prefix, version, hasPrefix, ok := splitPrefixed(s)
	if !ok || (hasPrefix && !isValidDNSSubdomain(prefix)) {
		return false
	}
	return len(version) >= 1 && len(version) <= 63 && versionRE.MatchString(version)
}

// urlSchemesNeedingHost are the WHATWG "special" schemes that cannot have an
// empty host (file is special too, but file:///x is fine).
var urlSchemesNeedingHost = []string{"http", "https", "ws", "wss", "ftp"}

// linkURLProblem says why s is not acceptable as metadata.links[].url, or
// returns "". Backstage requires a URL that `new URL()` accepts; Pont also
// refuses the schemes that run code when a user clicks the link
// (CVE-2023-25571: javascript: links in the catalog were a stored XSS).
func linkURLProblem(s string) string {
	// Before reading the scheme, browsers drop leading and trailing control
	// characters and spaces, and every tab and newline: to them
	// " java\tscript:alert(1)" is a javascript: URL. Check what they see.
	norm := strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
	norm = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, norm)
	m := urlSchemeRE.FindStringSubmatch(norm)
	if m == nil {
		return "must be an absolute URL, such as https://example.com/docs"
	}
	scheme := strings.ToLower(m[1])
	switch scheme {
	case "javascript", "vbscript", "data":
		return fmt.Sprintf("must not be a %s: URL, which can run code in the browser", scheme)
	}
	u, err := url.Parse(norm)
	if err != nil {
		return "must be a valid URL"
	}
	if slices.Contains(urlSchemesNeedingHost, scheme) && u.Host == "" {
		return "must be a valid URL with a host, such as https://example.com/docs"
	}
	return ""
}

// isPositiveInteger accepts the JSON-compatible integers 1, 2, ….
func isPositiveInteger(v any) bool {
	switch x := v.(type) {
	case int64:
		return x >= 1
	case int:
		return x >= 1
	case float64:
		return x >= 1 && x == float64(int64(x))
	}
	return false
}

// describeValue names the type of a decoded value for error messages, with
// the value itself when it is short, so that `name: 123` reads
// "must be a string, got the number 123".
func describeValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "the string " + quoteValue(x)
	case bool:
		return "the boolean " + strconv.FormatBool(x)
	case int64:
		return "the number " + strconv.FormatInt(x, 10)
	case int:
		return "the number " + strconv.Itoa(x)
	case float64:
		return "the number " + strconv.FormatFloat(x, 'g', -1, 64)
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	default:
		return fmt.Sprintf("a value of type %T", v)
	}
}

// lastSegment is the key of the last field of a path: "url" for
// "metadata.links[0].url".
func lastSegment(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i+1:]
	}
	return path
}

// copyJSONValue deep-copies a decoded JSON-compatible value, so that an
// Entity shares no maps or slices with the RawDocument it came from.
func copyJSONValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return copyJSONMap(x)
	case []any:
		out := make([]any, len(x))
		for i, item := range x {
			out[i] = copyJSONValue(item)
		}
		return out
	default:
		return v
	}
}

func copyJSONMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = copyJSONValue(v)
	}
	return out
}

// Check tells whether a reference names an entity that could exist: a
// kind of letters and digits, a namespace that is a DNS label, and a valid
// entity name. ParseRef only splits; callers that build references from
// outside input (labels, annotations) check them too.
func (r Ref) Check() error {
	switch {
	case !kindRE.MatchString(r.Kind):
		return fmt.Errorf("kind %q is not letters and digits", r.Kind)
	case !isValidDNSLabel(r.Namespace):
		return fmt.Errorf("namespace %q is not a DNS label", r.Namespace)
	case !isValidEntityName(r.Name):
		return fmt.Errorf("name %q is not 1-63 characters of [a-zA-Z0-9] separated by [-_.]", r.Name)
	}
	return nil
}
