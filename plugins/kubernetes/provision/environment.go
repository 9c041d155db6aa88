package provision

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/pont-dev/pont/internal/config"
)

// Annotations Pont writes on what it provisions.
const (
	// AnnotationExpiresAt (RFC 3339, UTC) on a namespace says when the
	// environment may be deleted; set when EnvironmentInput.TTL > 0.
	AnnotationExpiresAt = "pont.dev/expires-at"
	// AnnotationExpirySetBy names the Pont run that set
	// AnnotationExpiresAt (created the environment, or extended its TTL):
	// the teardown at expiry acts as that run's requester.
	AnnotationExpirySetBy = "pont.dev/expiry-set-by"
	// AnnotationCreatedBy names the user who asked for the environment.
	AnnotationCreatedBy = "pont.dev/created-by"
	// AnnotationManagedBy = ManagedByPont marks every object Pont
	// provisioned; DeleteNamespace deletes only namespaces that carry it.
	AnnotationManagedBy = "pont.dev/managed-by"
	ManagedByPont       = "pont"
)

// Names of the objects of an environment, inside its namespace. Fixed, so
// that applying a changed request updates them rather than adding more.
const (
	QuotaName         = "pont-quota"
	LimitRangeName    = "pont-limits"
	DenyAllPolicyName = "pont-default-deny"
	AllowDNSPolicy    = "pont-allow-dns"
	OwnerBindingName  = "pont-owner"
)

// EnvironmentInput is a request for an environment: one namespace.
type EnvironmentInput struct {
	// Namespace to create: a DNS label, not "default" nor "kube-…".
	Namespace string
	// Environment is the value of the environment label (dev, staging …).
	Environment string
	// Owner is the owning group's name in the catalog (a label value);
	// the template maps it to the Kubernetes group bound to the
	// environment's ClusterRole.
	Owner string
	// Component (its backstage.io/kubernetes-id) and System (a catalog
	// system name) are optional labels linking the environment.
	Component string
	System    string
	// CPU and Memory are the namespace's quota (requests and limits
	// alike); empty takes the template's defaults.
	CPU    string
	Memory string
	// TTL > 0 sets AnnotationExpiresAt to now+TTL, counted when
	// EnvironmentObjects is called: render once and pass the same objects
	// to Plan and Apply (rendering again later extends the expiry, which
	// is how a TTL is renewed). 0: no expiry.
	TTL time.Duration
	// CreatedBy is the requesting user, recorded in AnnotationCreatedBy;
	// empty records "pont".
	CreatedBy string
	// Run is the id of the Pont run applying this, recorded in
	// AnnotationExpirySetBy when TTL > 0.
	Run string
}

// EnvironmentTemplate is the platform team's part of an environment: what
// a request cannot choose. Zero fields take DefaultEnvironmentTemplate's
// values, so a template needs to name only what it changes.
type EnvironmentTemplate struct {
	// Labels are the label keys, the same as the plugin's configuration
	// (kubernetes.labels) so that it reads back what is written here.
	Labels config.KubernetesLabels
	Quota  QuotaTemplate
	Limits LimitTemplate
	// OwnerClusterRole is the ClusterRole granted to the owner's group in
	// the namespace. Default "edit". A RoleBinding's roleRef cannot
	// change: changing this for an existing environment fails on apply
	// until the old binding is deleted.
	OwnerClusterRole string
	// GroupFormat maps a catalog group name to the Kubernetes group name,
	// "{group}" standing for the name: "oidc:{group}" for an API server
	// whose OIDC groups are prefixed. Default "{group}".
	GroupFormat string
	DNS         DNSTemplate
	// MaxTTL bounds EnvironmentInput.TTL; default 30 days. A negative
	// MaxTTL removes the bound.
	MaxTTL time.Duration
}

// QuotaTemplate: the ResourceQuota. A request's CPU and Memory are
// bounded by the maximums here and must fit one default container.
type QuotaTemplate struct {
	CPU, Memory       string // defaults for an empty request: "2", "4Gi"
	MaxCPU, MaxMemory string // most a request may ask: "16", "64Gi"
	// Extra are further hard limits, resource name → quantity. Default:
	// 50 pods, 20 PVCs, no LoadBalancer or NodePort Service. An empty,
	// non-nil map sets none.
	Extra map[string]string
}

// LimitTemplate: the LimitRange's per-container defaults. A quota on
// requests and limits makes the API server refuse pods that set none;
// these defaults let a plain Deployment start.
type LimitTemplate struct {
	DefaultCPU, DefaultMemory string // default limits: "500m", "512Mi"
	RequestCPU, RequestMemory string // default requests: "100m", "128Mi"
}

// DNSTemplate: where the allow-DNS policy lets pods send port 53.
type DNSTemplate struct {
	// Namespace and PodLabels select the cluster DNS. Default
	// kube-system and k8s-app=kube-dns (CoreDNS keeps that label).
	Namespace string
	PodLabels map[string]string
	// AnyDestination allows port 53 to every address instead: for
	// node-local DNS caches, which listen on a link-local address no
	// selector matches.
	AnyDestination bool
}

// DefaultEnvironmentTemplate returns the defaults every zero field of a
// template takes.
func DefaultEnvironmentTemplate() EnvironmentTemplate {
	return EnvironmentTemplate{
		Labels: config.Default().Kubernetes.Labels,
		Quota: QuotaTemplate{
			CPU: "2", Memory: "4Gi", MaxCPU: "16", MaxMemory: "64Gi",
			Extra: map[string]string{
				"pods": "50", "persistentvolumeclaims": "20",
				"services.loadbalancers": "0", "services.nodeports": "0",
			},
		},
		Limits: LimitTemplate{
			DefaultCPU: "500m", DefaultMemory: "512Mi",
			RequestCPU: "100m", RequestMemory: "128Mi",
		},
		OwnerClusterRole: "edit",
		GroupFormat:      "{group}",
		DNS: DNSTemplate{
			Namespace: "kube-system",
			PodLabels: map[string]string{"k8s-app": "kube-dns"},
		},
		MaxTTL: 30 * 24 * time.Hour,
	}
}

// withDefaults fills the zero fields of t.
func (t EnvironmentTemplate) withDefaults() EnvironmentTemplate {
	d := DefaultEnvironmentTemplate()
	or := func(s *string, def string) {
		if *s == "" {
			*s = def
		}
	}
	or(&t.Labels.Environment, d.Labels.Environment)
	or(&t.Labels.Owner, d.Labels.Owner)
	or(&t.Labels.System, d.Labels.System)
	or(&t.Labels.Component, d.Labels.Component)
	or(&t.Quota.CPU, d.Quota.CPU)
	or(&t.Quota.Memory, d.Quota.Memory)
	or(&t.Quota.MaxCPU, d.Quota.MaxCPU)
	or(&t.Quota.MaxMemory, d.Quota.MaxMemory)
	if t.Quota.Extra == nil {
		t.Quota.Extra = d.Quota.Extra
	}
	or(&t.Limits.DefaultCPU, d.Limits.DefaultCPU)
	or(&t.Limits.DefaultMemory, d.Limits.DefaultMemory)
	or(&t.Limits.RequestCPU, d.Limits.RequestCPU)
	or(&t.Limits.RequestMemory, d.Limits.RequestMemory)
	or(&t.OwnerClusterRole, d.OwnerClusterRole)
	or(&t.GroupFormat, d.GroupFormat)
	if !t.DNS.AnyDestination {
		or(&t.DNS.Namespace, d.DNS.Namespace)
		if t.DNS.PodLabels == nil {
			t.DNS.PodLabels = d.DNS.PodLabels
		}
	}
	if t.MaxTTL == 0 {
		t.MaxTTL = d.MaxTTL
	}
	return t
}

// TemplateFrom is the template of Pont's configuration
// (kubernetes.environmentTemplate, with the plugin's labels and the
// impersonation's group format); empty keys take the defaults.
func TemplateFrom(c config.EnvironmentTemplate, labels config.KubernetesLabels, groupFormat string) EnvironmentTemplate {
	return EnvironmentTemplate{
		Labels: labels,
		Quota: QuotaTemplate{CPU: c.Quota.CPU, Memory: c.Quota.Memory, MaxCPU: c.Quota.MaxCPU, MaxMemory: c.Quota.MaxMemory,
			Extra: c.Quota.Extra},
		Limits: LimitTemplate{DefaultCPU: c.Limits.DefaultCPU, DefaultMemory: c.Limits.DefaultMemory,
			RequestCPU: c.Limits.RequestCPU, RequestMemory: c.Limits.RequestMemory},
		OwnerClusterRole: c.OwnerClusterRole,
		GroupFormat:      groupFormat,
		DNS:              DNSTemplate{Namespace: c.DNS.Namespace, PodLabels: c.DNS.PodLabels, AnyDestination: c.DNS.AnyDestination},
		MaxTTL:           c.MaxTTL,
	}.withDefaults()
}

// Check validates the template as the platform team configured it; its
// errors name the template's fields ("template.quota.cpu").
func (t EnvironmentTemplate) Check() error { return t.withDefaults().validate() }

// KubernetesGroup is the Kubernetes group name of a catalog group, by
// GroupFormat. Pass the user's groups through it before ForUser, so that
// the groups impersonated and the group bound agree.
func (t EnvironmentTemplate) KubernetesGroup(group string) string {
	return strings.ReplaceAll(t.withDefaults().GroupFormat, "{group}", group)
}

// validate checks what the platform team configured; its errors name
// template fields.
func (t EnvironmentTemplate) validate() error {
	var fe fieldErrors
	for _, q := range []struct{ field, v string }{
		{"template.quota.cpu", t.Quota.CPU}, {"template.quota.memory", t.Quota.Memory},
		{"template.quota.maxCPU", t.Quota.MaxCPU}, {"template.quota.maxMemory", t.Quota.MaxMemory},
		{"template.limits.defaultCPU", t.Limits.DefaultCPU}, {"template.limits.defaultMemory", t.Limits.DefaultMemory},
		{"template.limits.requestCPU", t.Limits.RequestCPU}, {"template.limits.requestMemory", t.Limits.RequestMemory},
	} {
		if _, err := positiveQuantity(q.v); err != nil {
			fe.add(q.field, "%q %v", q.v, err)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(t.Quota.Extra)) {
		if _, err := resource.ParseQuantity(t.Quota.Extra[name]); err != nil {
			fe.add("template.quota.extra."+name, "%q is not a quantity", t.Quota.Extra[name])
		}
	}
	if len(validation.IsDNS1123Subdomain(t.OwnerClusterRole)) > 0 {
		fe.add("template.ownerClusterRole", "%q is not a valid ClusterRole name", t.OwnerClusterRole)
	}
	if !strings.Contains(t.GroupFormat, "{group}") {
		fe.add("template.groupFormat", "%q does not contain {group}", t.GroupFormat)
	} else if reserved(t.GroupFormat) {
		// "system:{group}" would let a catalog group named "masters"
		// become cluster admin.
		fe.add("template.groupFormat", "%q maps groups onto Kubernetes' reserved system: groups", t.GroupFormat)
	}
	if !t.DNS.AnyDestination && len(validation.IsDNS1123Label(t.DNS.Namespace)) > 0 {
		fe.add("template.dns.namespace", "%q is not a DNS label", t.DNS.Namespace)
	}
	return fe.err()
}

// EnvironmentObjects renders an environment: its Namespace (with Pont's
// labels and annotations), a ResourceQuota, a LimitRange, a default-deny
// NetworkPolicy with a second one allowing DNS, and a RoleBinding granting
// the owner's group the template's ClusterRole there. The Namespace comes
// first; Apply orders by kind anyway.
//
// A bad input gives an *InvalidInput naming each bad field; a bad template
// an error naming its fields ("template.…").
func EnvironmentObjects(in EnvironmentInput, tmpl EnvironmentTemplate) ([]*unstructured.Unstructured, error) {
	t := tmpl.withDefaults()
	if err := t.validate(); err != nil {
		return nil, fmt.Errorf("environment template: %w", err)
	}
	cpu, memory, err := in.validate(t)
	if err != nil {
		return nil, err
	}

	ns := in.Namespace
	nsLabels := map[string]string{t.Labels.Environment: in.Environment, t.Labels.Owner: in.Owner}
	if in.System != "" {
		nsLabels[t.Labels.System] = in.System
	}
	if in.Component != "" {
		nsLabels[t.Labels.Component] = in.Component
	}
	createdBy := in.CreatedBy
	if createdBy == "" {
		createdBy = ManagedByPont
	}
	nsAnnotations := map[string]string{AnnotationManagedBy: ManagedByPont, AnnotationCreatedBy: createdBy}
	if in.TTL > 0 {
		nsAnnotations[AnnotationExpiresAt] = time.Now().Add(in.TTL).UTC().Truncate(time.Second).Format(time.RFC3339)
		if in.Run != "" {
			nsAnnotations[AnnotationExpirySetBy] = in.Run
		}
	}
	namespace := object("v1", "Namespace", "", ns, nil)
	namespace.SetLabels(nsLabels)
	namespace.SetAnnotations(nsAnnotations)

	hard := map[string]any{
		"requests.cpu": cpu, "limits.cpu": cpu,
		"requests.memory": memory, "limits.memory": memory,
	}
	for k, v := range t.Quota.Extra {
		hard[k] = v
	}
	quota := object("v1", "ResourceQuota", ns, QuotaName, map[string]any{"hard": hard})

	limits := object("v1", "LimitRange", ns, LimitRangeName, map[string]any{
		"limits": []any{map[string]any{
			"type":           "Container",
			"default":        map[string]any{"cpu": t.Limits.DefaultCPU, "memory": t.Limits.DefaultMemory},
			"defaultRequest": map[string]any{"cpu": t.Limits.RequestCPU, "memory": t.Limits.RequestMemory},
		}},
	})

	// Deny everything both ways: what a team needs it opens with policies
	// of its own (they add up). Pods can still resolve names.
	denyAll := object("networking.k8s.io/v1", "NetworkPolicy", ns, DenyAllPolicyName, map[string]any{
		"podSelector": map[string]any{},
		"policyTypes": []any{"Ingress", "Egress"},
	})
	dnsRule := map[string]any{
		"ports": []any{
			map[string]any{"protocol": "UDP", "port": int64(53)},
			map[string]any{"protocol": "TCP", "port": int64(53)},
		},
	}
	if !t.DNS.AnyDestination {
		peer := map[string]any{
			"namespaceSelector": map[string]any{"matchLabels": map[string]any{"kubernetes.io/metadata.name": t.DNS.Namespace}},
		}
		if len(t.DNS.PodLabels) > 0 {
			peer["podSelector"] = map[string]any{"matchLabels": toAny(t.DNS.PodLabels)}
		}
		dnsRule["to"] = []any{peer}
	}
	allowDNS := object("networking.k8s.io/v1", "NetworkPolicy", ns, AllowDNSPolicy, map[string]any{
		"podSelector": map[string]any{},
		"policyTypes": []any{"Egress"},
		"egress":      []any{dnsRule},
	})

	binding := object("rbac.authorization.k8s.io/v1", "RoleBinding", ns, OwnerBindingName, nil)
	binding.Object["roleRef"] = map[string]any{
		"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": t.OwnerClusterRole,
	}
	binding.Object["subjects"] = []any{map[string]any{
		"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": t.KubernetesGroup(in.Owner),
	}}

	objs := []*unstructured.Unstructured{namespace, quota, limits, denyAll, allowDNS, binding}
	for _, o := range objs[1:] {
		o.SetAnnotations(map[string]string{AnnotationManagedBy: ManagedByPont})
	}
	return objs, nil
}

// validate checks a request against the template and returns the quota's
// CPU and memory (the request's, or the defaults).
func (in EnvironmentInput) validate(t EnvironmentTemplate) (cpu, memory string, err error) {
	var fe fieldErrors
	switch {
	case in.Namespace == "":
		fe.add("namespace", "required")
	case len(validation.IsDNS1123Label(in.Namespace)) > 0:
		fe.add("namespace", "%q is not a DNS label", in.Namespace)
	case in.Namespace == "default" || strings.HasPrefix(in.Namespace, "kube-"):
		fe.add("namespace", "%q is reserved for Kubernetes", in.Namespace)
	}
	labelValue(&fe, "environment", in.Environment, true)
	if labelValue(&fe, "owner", in.Owner, true) && reserved(t.KubernetesGroup(in.Owner)) {
		fe.add("owner", "%q maps to the reserved Kubernetes group %q", in.Owner, t.KubernetesGroup(in.Owner))
	}
	labelValue(&fe, "component", in.Component, false)
	labelValue(&fe, "system", in.System, false)

	// One container with the default limits must fit the quota, or the
	// environment cannot run anything.
	cpu = quotaField(&fe, "cpu", in.CPU, t.Quota.CPU, t.Quota.MaxCPU, t.Limits.DefaultCPU)
	memory = quotaField(&fe, "memory", in.Memory, t.Quota.Memory, t.Quota.MaxMemory, t.Limits.DefaultMemory)

	switch {
	case in.TTL < 0:
		fe.add("ttl", "%v is negative", in.TTL)
	case in.TTL > 0 && in.TTL < time.Minute:
		fe.add("ttl", "%v is less than a minute", in.TTL)
	case t.MaxTTL > 0 && in.TTL > t.MaxTTL:
		fe.add("ttl", "%v is longer than the allowed %v", in.TTL, t.MaxTTL)
	}
	return cpu, memory, fe.err()
}

// quotaField validates a quota quantity: given (or the default), at most
// max, at least min. It returns the value to write.
func quotaField(fe *fieldErrors, field, v, def, maxV, minV string) string {
	if v == "" {
		v = def
	}
	q, err := positiveQuantity(v)
	if err != nil {
		fe.add(field, "%q %v", v, err)
		return v
	}
	if m := resource.MustParse(maxV); q.Cmp(m) > 0 {
		fe.add(field, "%q is more than the allowed %s", v, maxV)
	} else if m := resource.MustParse(minV); q.Cmp(m) < 0 {
		fe.add(field, "%q is less than one container's default limit %s", v, minV)
	}
	return v
}

func positiveQuantity(v string) (resource.Quantity, error) {
	q, err := resource.ParseQuantity(v)
	if err != nil {
		return q, fmt.Errorf("is not a quantity")
	}
	if q.Sign() <= 0 {
		return q, fmt.Errorf("is not positive")
	}
	return q, nil
}

// labelValue checks a field written as a label value; ok when it is valid
// (and not empty, when required).
func labelValue(fe *fieldErrors, field, v string, required bool) bool {
	if v == "" {
		if required {
			fe.add(field, "required")
		}
		return false
	}
	if msgs := validation.IsValidLabelValue(v); len(msgs) > 0 {
		fe.add(field, "%q is not a valid label value: %s", v, strings.Join(msgs, "; "))
		return false
	}
	return true
}

// object makes an unstructured object with the given spec (nil: none).
func object(apiVersion, kind, namespace, name string, spec map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": apiVersion, "kind": kind}}
	u.SetName(name)
	if namespace != "" {
		u.SetNamespace(namespace)
	}
	if spec != nil {
		u.Object["spec"] = spec
	}
	return u
}

func toAny(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// ExpiryFieldManager owns a TTL extended after creation (ApplyAs), apart
// from the rest of the namespace that FieldManager owns.
const ExpiryFieldManager = "pont-expiry"

// ExpiryObject is what extending an environment's TTL applies: the
// namespace's expiry and the run that set it, nothing else.
func ExpiryObject(namespace string, expiresAt time.Time, run string) *unstructured.Unstructured {
	ns := object("v1", "Namespace", "", namespace, nil)
	ns.SetAnnotations(map[string]string{
		AnnotationExpiresAt:   expiresAt.UTC().Truncate(time.Second).Format(time.RFC3339),
		AnnotationExpirySetBy: run,
	})
	return ns
}
