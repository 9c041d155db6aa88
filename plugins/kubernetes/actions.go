package kubernetes

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/internal/config"
	"github.com/pont-dev/pont/plugins"
	"github.com/pont-dev/pont/plugins/kubernetes/operators"
	"github.com/pont-dev/pont/plugins/kubernetes/provision"
)

// The plugin's self-service actions. Each acts on a cluster AS THE
// REQUESTER (client-go impersonation of their catalog user and groups), so
// the cluster's RBAC has the last word; a refusal fails the run with the
// cluster's message and is never retried as Pont.
//
//   - kubernetes.create-environment, on a component: a namespace with
//     Pont's labels, quota, limits, default-deny network policies and a
//     RoleBinding for the owner group (provision.EnvironmentObjects);
//     production needs approval.
//   - kubernetes.delete-environment, on an environment; production needs
//     approval.
//   - kubernetes.extend-environment, on an environment: moves its TTL
//     (expiry.go, where the teardown at expiry is too).
//   - kubernetes.create-database, on an environment: an operator's custom
//     resource (CloudNativePG by default, Zalando, MongoDB Community),
//     waited for until the operator says it is ready.
//   - kubernetes.scale-database and kubernetes.delete-database, on a
//     database; deleting always needs approval.

// RegisterActions adds the plugin's actions to a registry.
func (p *Plugin) RegisterActions(r *plugins.Registry) error {
	return errors.Join(
		r.Register(createEnvironment{p}), r.Register(deleteEnvironment{p}), r.Register(extendEnvironment{p}),
		r.Register(createDatabase{p}), r.Register(scaleDatabase{p}), r.Register(deleteDatabase{p}),
	)
}

// userConfig is the client configuration of a cluster acting as the
// run's requester: their catalog user name and group names.
func (p *Plugin) userConfig(cluster string, actor plugins.Actor) (*rest.Config, error) {
	w := p.watch(cluster)
	if w == nil {
		return nil, plugins.Permanent(fmt.Errorf("cluster %q is not watched by Pont", cluster))
	}
	user, groups, err := impersonated(p.cfg.Impersonation, actor)
	if err != nil {
		return nil, plugins.Permanent(err)
	}
	cfg, err := provision.ForUser(w.rc, user, groups)
	if err != nil {
		return nil, plugins.Permanent(err)
	}
	return cfg, nil
}

// environmentTemplate is kubernetes.environmentTemplate, checked by New.
func (p *Plugin) environmentTemplate() provision.EnvironmentTemplate {
	return provision.TemplateFrom(p.cfg.EnvironmentTemplate, p.cfg.Labels, p.cfg.Impersonation.Group)
}

// impersonated is the Kubernetes user and groups a requester acts as,
// by kubernetes.impersonation.
func impersonated(f config.Impersonation, actor plugins.Actor) (string, []string, error) {
	name := actor.Subject
	if r, err := catalog.ParseRef(actor.User, catalog.RefDefaults{Kind: "user"}); err == nil && actor.User != "" {
		name = r.Name
	}
	_, subject, _ := strings.Cut(actor.Subject, "|") // OIDC subjects are "issuer|sub"
	format := cmp.Or(f.User, "{user}")
	switch {
	case strings.Contains(format, "{email}") && actor.Email == "":
		return "", nil, fmt.Errorf("kubernetes.impersonation.user needs an email, and %s has none", actor.Subject)
	case strings.Contains(format, "{subject}") && subject == "":
		return "", nil, fmt.Errorf("kubernetes.impersonation.user needs an OIDC subject, and %s has none", actor.Subject)
	}
	user := strings.NewReplacer("{user}", name, "{email}", actor.Email, "{subject}", subject).Replace(format)
	var groups []string
	for _, g := range actor.Groups {
		if r, err := catalog.ParseRef(g, catalog.RefDefaults{Kind: "group"}); err == nil {
			groups = append(groups, strings.ReplaceAll(cmp.Or(f.Group, "{group}"), "{group}", r.Name))
		}
	}
	return user, groups, nil
}

// clusterFailure turns a cluster's refusal or a bad input into a permanent
// error; anything else may be transient.
func clusterFailure(err error) error {
	var denied *provision.DeniedError
	var invalid *provision.InvalidInput
	if errors.As(err, &denied) || errors.As(err, &invalid) {
		return plugins.Permanent(err)
	}
	return err
}

// planAs plans objs on a cluster as the requester: a dry-run apply, or a
// dry-run delete.
func (p *Plugin) planAs(ctx context.Context, cluster string, actor plugins.Actor, summary string, deleting bool, objs ...*unstructured.Unstructured) (*plugins.Plan, error) {
	cfg, err := p.userConfig(cluster, actor)
	if err != nil {
		return nil, err
	}
	plan := provision.Plan
	if deleting {
		plan = provision.PlanDelete
	}
	d, err := plan(ctx, cfg, objs)
	if err != nil {
		return nil, clusterFailure(err)
	}
	return planOf(summary, d), nil
}

// applyAs applies objs on a cluster as the requester (server-side apply,
// idempotent), and logs each; a resumed run whose earlier attempt applied
// them skips it, and applied says which happened.
func (p *Plugin) applyAs(ctx context.Context, cluster string, actor plugins.Actor, out plugins.RunReporter, objs ...*unstructured.Unstructured) (cfg *rest.Config, applied bool, err error) {
	cfg, err = p.userConfig(cluster, actor)
	if err != nil {
		return nil, false, err
	}
	err = out.Once("apply", func() error {
		if err := provision.Apply(ctx, cfg, objs); err != nil {
			return clusterFailure(err)
		}
		for _, o := range objs {
			out.Log("applied %s %s", o.GetKind(), o.GetName())
		}
		applied = true
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return cfg, applied, nil
}

// planOf converts a provision diff.
func planOf(summary string, d provision.Diff) *plugins.Plan {
	out := &plugins.Plan{Summary: summary}
	for _, o := range d.Objects {
		name := o.Name
		if o.Namespace != "" {
			name = o.Namespace + "/" + o.Name
		}
		out.Changes = append(out.Changes, plugins.Change{Action: string(o.Action), Kind: o.Kind, Name: name, Diff: o.Text})
	}
	return out
}

func str(in map[string]any, k string) string {
	s, _ := in[k].(string)
	return strings.TrimSpace(s)
}

func groupName(ref string) string {
	if r, err := catalog.ParseRef(ref, catalog.RefDefaults{Kind: "group"}); err == nil {
		return r.Name
	}
	return ""
}

// --- create environment -----------------------------------------------------

type createEnvironment struct{ p *Plugin }

func (a createEnvironment) Spec() plugins.ActionSpec {
	return plugins.ActionSpec{
		ID: "kubernetes.create-environment", Title: "Create an environment",
		Description: "A namespace for this component on a cluster, with quota, limits, default-deny network policies and access for its owner group.",
		InputSchema: json.RawMessage(`{
			"type": "object", "required": ["cluster", "environment"], "additionalProperties": false,
			"properties": {
				"cluster": {"type": "string", "title": "Cluster", "minLength": 1, "maxLength": 63},
				"environment": {"type": "string", "title": "Environment", "pattern": "^[a-z0-9]([-a-z0-9]{0,18}[a-z0-9])?$", "examples": ["dev", "staging", "production"]},
				"namespace": {"type": "string", "title": "Namespace (default: <component>-<environment>)", "pattern": "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"},
				"cpu": {"type": "string", "title": "CPU quota", "pattern": "^[0-9]+(\\.[0-9]+)?m?$"},
				"memory": {"type": "string", "title": "Memory quota", "pattern": "^[0-9]+(Mi|Gi)$"},
				"ttlHours": {"type": "integer", "title": "Delete after (hours; 0: never)", "minimum": 0, "maximum": 2160}
			}
		}`),
		AppliesTo: plugins.EntitySelector{Kinds: []string{"component"}},
		Approval: plugins.ApprovalPolicy{When: func(req plugins.ActionRequest) bool {
			return str(req.Input, "environment") == "production"
		}},
	}
}

func (a createEnvironment) objects(req plugins.ActionRequest) (string, []*unstructured.Unstructured, error) {
	in := req.Input
	component := req.Target.Annotations[a.p.cfg.Labels.Component]
	if component == "" {
		if r, err := catalog.ParseRef(req.Target.Ref, catalog.RefDefaults{}); err == nil {
			component = r.Name
		}
	}
	ns := str(in, "namespace")
	if ns == "" {
		ns = component + "-" + str(in, "environment")
	}
	ttl := 0
	if n, ok := in["ttlHours"].(float64); ok {
		ttl = int(n)
	}
	tmpl := a.p.environmentTemplate()
	objs, err := provision.EnvironmentObjects(provision.EnvironmentInput{
		Namespace: ns, Environment: str(in, "environment"), Owner: groupName(req.Target.Owner),
		Component: component, CPU: str(in, "cpu"), Memory: str(in, "memory"),
		TTL: time.Duration(ttl) * time.Hour, CreatedBy: req.Actor.Name, Run: req.RunID,
	}, tmpl)
	return ns, objs, clusterFailure(err)
}

func (a createEnvironment) Plan(ctx context.Context, req plugins.ActionRequest) (*plugins.Plan, error) {
	ns, objs, err := a.objects(req)
	if err != nil {
		return nil, err
	}
	cluster := str(req.Input, "cluster")
	return a.p.planAs(ctx, cluster, req.Actor, fmt.Sprintf("environment %s: namespace %s on %s", str(req.Input, "environment"), ns, cluster), false, objs...)
}

func (a createEnvironment) Run(ctx context.Context, req plugins.ActionRequest, out plugins.RunReporter) (*plugins.RunResult, error) {
	cluster := str(req.Input, "cluster")
	ns, objs, err := a.objects(req)
	if err != nil {
		return nil, err
	}
	if _, _, err := a.p.applyAs(ctx, cluster, req.Actor, out, objs...); err != nil {
		return nil, err
	}
	ref := a.p.environmentRef(cluster, ns).String()
	return &plugins.RunResult{Summary: "namespace " + ns + " on " + cluster, Entities: []string{ref},
		Outputs: map[string]any{"cluster": cluster, "namespace": ns}}, nil
}

// --- delete environment -----------------------------------------------------

type deleteEnvironment struct{ p *Plugin }

func (a deleteEnvironment) Spec() plugins.ActionSpec {
	return plugins.ActionSpec{
		ID: "kubernetes.delete-environment", Title: "Delete this environment",
		Description: "Deletes the environment's namespace and everything in it.",
		InputSchema: json.RawMessage(`{"type": "object", "additionalProperties": false, "properties": {}}`),
		AppliesTo:   plugins.EntitySelector{Kinds: []string{"resource"}, Types: []string{TypeEnvironment}},
		Approval: plugins.ApprovalPolicy{When: func(req plugins.ActionRequest) bool {
			return req.Target.Labels["pont.dev/environment"] == "production"
		}},
	}
}

// where is the cluster and namespace of an environment or database entity.
func where(t plugins.Target) (string, string, error) {
	c, ns := t.Annotations[AnnotationCluster], t.Annotations[AnnotationNamespace]
	if c == "" || ns == "" {
		return "", "", plugins.Permanent(fmt.Errorf("%s names no cluster and namespace", t.Ref))
	}
	return c, ns, nil
}

func namespaceObject(ns string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}}}
}

func (a deleteEnvironment) Plan(ctx context.Context, req plugins.ActionRequest) (*plugins.Plan, error) {
	cluster, ns, err := where(req.Target)
	if err != nil {
		return nil, err
	}
	return a.p.planAs(ctx, cluster, req.Actor, "delete namespace "+ns+" on "+cluster+" and everything in it", true, namespaceObject(ns))
}

func (a deleteEnvironment) Run(ctx context.Context, req plugins.ActionRequest, out plugins.RunReporter) (*plugins.RunResult, error) {
	cluster, ns, err := where(req.Target)
	if err != nil {
		return nil, err
	}
	cfg, err := a.p.userConfig(cluster, req.Actor)
	if err != nil {
		return nil, err
	}
	err = out.Once("delete", func() error {
		if err := provision.DeleteNamespace(ctx, cfg, ns); err != nil {
			return clusterFailure(err)
		}
		out.Log("namespace %s on %s is being deleted", ns, cluster)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &plugins.RunResult{Summary: "deleted namespace " + ns + " on " + cluster}, nil
}

// --- create database --------------------------------------------------------

type createDatabase struct{ p *Plugin }

func (a createDatabase) Spec() plugins.ActionSpec {
	return plugins.ActionSpec{
		ID: "kubernetes.create-database", Title: "Create a database",
		Description: "A database in this environment, run by an operator (CloudNativePG by default); the run waits until the operator reports it ready.",
		InputSchema: json.RawMessage(`{
			"type": "object", "required": ["name"], "additionalProperties": false,
			"properties": {
				"name": {"type": "string", "title": "Name", "pattern": "^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$"},
				"operator": {"enum": ["cnpg", "zalando", "mongodb-community"], "title": "Operator", "default": "cnpg"},
				"version": {"type": "string", "title": "Version", "pattern": "^[0-9]+(\\.[0-9]+){0,2}$"},
				"instances": {"type": "integer", "title": "Instances", "minimum": 1, "maximum": 9, "default": 1},
				"storage": {"type": "string", "title": "Storage", "pattern": "^[0-9]+(Gi|Ti)$", "default": "1Gi"},
				"component": {"type": "string", "title": "Used by (component kubernetes id)", "maxLength": 63}
			}
		}`),
		AppliesTo: plugins.EntitySelector{Kinds: []string{"resource"}, Types: []string{TypeEnvironment}},
		Approval: plugins.ApprovalPolicy{When: func(req plugins.ActionRequest) bool {
			return req.Target.Labels["pont.dev/environment"] == "production"
		}},
	}
}

func (a createDatabase) object(req plugins.ActionRequest) (string, *unstructured.Unstructured, error) {
	cluster, ns, err := where(req.Target)
	if err != nil {
		return "", nil, err
	}
	instances := 1
	if n, ok := req.Input["instances"].(float64); ok {
		instances = int(n)
	}
	obj, err := provision.DatabaseObject(provision.DatabaseInput{
		Namespace: ns, Name: str(req.Input, "name"), Operator: str(req.Input, "operator"), Version: str(req.Input, "version"),
		Instances: instances, Storage: str(req.Input, "storage"), Owner: groupName(req.Target.Owner), Component: str(req.Input, "component"),
	})
	return cluster, obj, clusterFailure(err)
}

func (a createDatabase) Plan(ctx context.Context, req plugins.ActionRequest) (*plugins.Plan, error) {
	cluster, obj, err := a.object(req)
	if err != nil {
		return nil, err
	}
	plan, err := a.p.planAs(ctx, cluster, req.Actor, fmt.Sprintf("%s %s in %s on %s", obj.GetKind(), obj.GetName(), obj.GetNamespace(), cluster), false, obj)
	if err != nil {
		return nil, err
	}
	if secret := passwordSecret(req, obj); secret != "" {
		plan.Changes = append([]plugins.Change{{Action: "create", Kind: "Secret", Name: obj.GetNamespace() + "/" + secret,
			Diff: "# a generated password under the key \"password\", unless the Secret exists; Pont never shows or keeps it"}}, plan.Changes...)
	}
	return plan, nil
}

// passwordSecret names the Secret of a generated password the operator
// needs before it can finish ("" for operators that make their own).
func passwordSecret(req plugins.ActionRequest, obj *unstructured.Unstructured) string {
	if str(req.Input, "operator") == provision.OperatorMongoDBCommunity {
		return provision.MongoDBPasswordSecretName(obj.GetName())
	}
	return ""
}

// readyWait bounds one attempt's wait for the operator; a database not
// ready by then fails the attempt, and the next one waits again.
const readyWait = 10 * time.Minute

func (a createDatabase) Run(ctx context.Context, req plugins.ActionRequest, out plugins.RunReporter) (*plugins.RunResult, error) {
	cluster, obj, err := a.object(req)
	if err != nil {
		return nil, err
	}
	if secret := passwordSecret(req, obj); secret != "" {
		cfg, err := a.p.userConfig(cluster, req.Actor)
		if err != nil {
			return nil, err
		}
		err = out.Once("password", func() error {
			created, err := provision.EnsurePasswordSecret(ctx, cfg, obj.GetNamespace(), secret)
			if err != nil {
				return clusterFailure(err)
			}
			if created {
				out.Log("created Secret %s with a generated password", secret)
			} else {
				out.Log("Secret %s exists: its password is kept", secret)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	cfg, applied, err := a.p.applyAs(ctx, cluster, req.Actor, out, obj)
	if err != nil {
		return nil, err
	}
	// A resumed run skips the apply an earlier attempt did; if the object
	// has gone since, waiting would never end: apply it again.
	exists := applied
	if !applied {
		if exists, err = provision.Exists(ctx, cfg, obj); err != nil {
			return nil, clusterFailure(err)
		}
	}
	if !exists {
		out.Log("%s %s is gone since it was applied: applying it again", obj.GetKind(), obj.GetName())
		if err := provision.Apply(ctx, cfg, []*unstructured.Unstructured{obj}); err != nil {
			return nil, clusterFailure(err)
		}
	}
	out.Step("wait for the operator")
	wctx, cancel := context.WithTimeout(ctx, readyWait)
	defer cancel()
	if err := provision.WaitReady(wctx, cfg, obj, provision.DatabaseReady); err != nil {
		return nil, clusterFailure(fmt.Errorf("waiting for %s to be ready: %w", obj.GetName(), err))
	}
	out.Log("%s is ready", obj.GetName())
	ref := a.p.databaseRef(cluster, obj.GetNamespace(), obj.GetKind(), obj.GetName()).String()
	return &plugins.RunResult{Summary: obj.GetKind() + " " + obj.GetName() + " is ready", Entities: []string{ref}}, nil
}

// --- scale and delete a database ----------------------------------------------

// databaseObject is the skeleton of the custom resource behind a database
// entity: enough to apply a field to, or to delete.
func databaseObject(t plugins.Target) (string, *unstructured.Unstructured, error) {
	cluster, ns, err := where(t)
	if err != nil {
		return "", nil, err
	}
	kindGroup, name, ok := strings.Cut(t.Annotations[AnnotationObject], "/")
	kind, group, _ := strings.Cut(kindGroup, ".")
	if !ok || name == "" {
		return "", nil, plugins.Permanent(fmt.Errorf("%s names no custom resource", t.Ref))
	}
	for _, k := range operators.All() {
		if k.Group == group && k.Kind == kind {
			obj := &unstructured.Unstructured{}
			obj.SetAPIVersion(group + "/" + k.Versions[0])
			obj.SetKind(kind)
			obj.SetNamespace(ns)
			obj.SetName(name)
			return cluster, obj, nil
		}
	}
	return "", nil, plugins.Permanent(fmt.Errorf("%s: kind %s.%s is unknown", t.Ref, kind, group))
}

type scaleDatabase struct{ p *Plugin }

func (a scaleDatabase) Spec() plugins.ActionSpec {
	return plugins.ActionSpec{
		ID: "kubernetes.scale-database", Title: "Scale this database",
		Description: "Sets the number of instances the operator runs.",
		InputSchema: json.RawMessage(`{"type": "object", "required": ["instances"], "additionalProperties": false,
			"properties": {"instances": {"type": "integer", "title": "Instances", "minimum": 1, "maximum": 9}}}`),
		AppliesTo: plugins.EntitySelector{Kinds: []string{"resource"}, Types: []string{TypeDatabase}},
	}
}

func (a scaleDatabase) scaled(req plugins.ActionRequest) (string, *unstructured.Unstructured, error) {
	cluster, obj, err := databaseObject(req.Target)
	if err != nil {
		return "", nil, err
	}
	n, _ := req.Input["instances"].(float64)
	scaled, err := provision.ScaleDatabase(obj, int(n))
	return cluster, scaled, clusterFailure(err)
}

func (a scaleDatabase) Plan(ctx context.Context, req plugins.ActionRequest) (*plugins.Plan, error) {
	cluster, obj, err := a.scaled(req)
	if err != nil {
		return nil, err
	}
	return a.p.planAs(ctx, cluster, req.Actor, fmt.Sprintf("scale %s to %v instances", obj.GetName(), req.Input["instances"]), false, obj)
}

func (a scaleDatabase) Run(ctx context.Context, req plugins.ActionRequest, out plugins.RunReporter) (*plugins.RunResult, error) {
	cluster, obj, err := a.scaled(req)
	if err != nil {
		return nil, err
	}
	if _, _, err := a.p.applyAs(ctx, cluster, req.Actor, out, obj); err != nil {
		return nil, err
	}
	out.Log("%s scaled to %v instances", obj.GetName(), req.Input["instances"])
	return &plugins.RunResult{Summary: "scaled", Entities: []string{req.Target.Ref}}, nil
}

type deleteDatabase struct{ p *Plugin }

func (a deleteDatabase) Spec() plugins.ActionSpec {
	return plugins.ActionSpec{
		ID: "kubernetes.delete-database", Title: "Delete this database",
		Description: "Deletes the operator's custom resource; the operator removes the database and, depending on its settings, its volumes.",
		InputSchema: json.RawMessage(`{"type": "object", "additionalProperties": false, "properties": {}}`),
		AppliesTo:   plugins.EntitySelector{Kinds: []string{"resource"}, Types: []string{TypeDatabase}},
		Approval:    plugins.ApprovalPolicy{Always: true},
	}
}

func (a deleteDatabase) Plan(ctx context.Context, req plugins.ActionRequest) (*plugins.Plan, error) {
	cluster, obj, err := databaseObject(req.Target)
	if err != nil {
		return nil, err
	}
	return a.p.planAs(ctx, cluster, req.Actor, "delete "+obj.GetKind()+" "+obj.GetName(), true, obj)
}

func (a deleteDatabase) Run(ctx context.Context, req plugins.ActionRequest, out plugins.RunReporter) (*plugins.RunResult, error) {
	cluster, obj, err := databaseObject(req.Target)
	if err != nil {
		return nil, err
	}
	cfg, err := a.p.userConfig(cluster, req.Actor)
	if err != nil {
		return nil, err
	}
	err = out.Once("delete", func() error {
		if err := provision.Delete(ctx, cfg, []*unstructured.Unstructured{obj}); err != nil {
			return clusterFailure(err)
		}
		out.Log("%s %s is being deleted", obj.GetKind(), obj.GetName())
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &plugins.RunResult{Summary: "deleted " + obj.GetName()}, nil
}
