package kubernetes

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8s "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/pont-dev/pont/plugins"
	"github.com/pont-dev/pont/plugins/kubernetes/provision"
)

// Environments with a TTL. kubernetes.create-environment with ttlHours
// writes the namespace's expiry (provision.AnnotationExpiresAt) and the run
// that set it (AnnotationExpirySetBy); kubernetes.extend-environment moves
// the expiry. The plugin is a plugins.Expirer: the runner's sweep warns
// the environment's users before the expiry (Warn: a Warning event in the
// namespace) and then runs kubernetes.delete-environment on it, acting as
// the requester of the run that set the expiry.

var _ plugins.Expirer = (*Plugin)(nil)

// ReasonExpiring is the reason of the Warning event written before an
// environment's TTL runs out.
const ReasonExpiring = "EnvironmentExpiring"

// expiresAt reads a namespace's expiry; nil for none or unreadable.
func expiresAt(annotations map[string]string) *time.Time {
	v := annotations[provision.AnnotationExpiresAt]
	if v == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return nil
	}
	return &t
}

// Expiring lists the environments with an expiry. One whose cluster does
// not answer, or that is being deleted, is pending: nothing is done to it
// until it is seen again.
func (p *Plugin) Expiring() []plugins.Expiry {
	p.inv.mu.RLock()
	defer p.inv.mu.RUnlock()
	var out []plugins.Expiry
	for _, cs := range p.inv.state {
		for ns, env := range cs.envs {
			if env.ExpiresAt == nil {
				continue
			}
			setBy := ""
			if m := cs.namespaces[ns]; m != nil {
				setBy = m.Annotations[provision.AnnotationExpirySetBy]
			}
			out = append(out, plugins.Expiry{
				Target: env.EntityRef, Action: "kubernetes.delete-environment", ExpiresAt: *env.ExpiresAt,
				SetBy: setBy, Pending: env.Stale || env.Phase != "Active",
			})
		}
	}
	return out
}

// Warn writes a Warning event on the environment's namespace, as actor (the
// requester of the run that set the expiry: the cluster's RBAC decides
// whether they may). The event's name is derived from the expiry, so a
// second call for the same expiry changes nothing.
func (p *Plugin) Warn(ctx context.Context, e plugins.Expiry, actor plugins.Actor) error {
	cluster, ns, err := p.environmentOf(e.Target)
	if err != nil {
		return err
	}
	cfg, err := p.userConfig(cluster, actor)
	if err != nil {
		return err
	}
	cs, err := k8s.NewForConfig(cfg)
	if err != nil {
		return err
	}
	now := metav1.Now()
	ev := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: fmt.Sprintf("pont-expiry.%d", e.ExpiresAt.Unix()), Namespace: ns},
		InvolvedObject: corev1.ObjectReference{Kind: "Namespace", APIVersion: "v1", Name: ns, Namespace: ns},
		Reason:         ReasonExpiring,
		Type:           corev1.EventTypeWarning,
		Message: fmt.Sprintf("Pont deletes this environment at %s (its TTL). Run kubernetes.extend-environment on %s to keep it longer.",
			e.ExpiresAt.UTC().Format(time.RFC3339), e.Target),
		Source:         corev1.EventSource{Component: "pont"},
		FirstTimestamp: now, LastTimestamp: now, Count: 1,
		ReportingController: "pont.dev/expiry", ReportingInstance: "pont",
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.RequestTimeout)
	defer cancel()
	_, err = cs.CoreV1().Events(ns).Create(ctx, ev, metav1.CreateOptions{FieldManager: provision.FieldManager})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("warning event in %s on %s: %w", ns, cluster, err)
	}
	return nil
}

// environmentOf finds the cluster and namespace of an environment entity
// in the inventory.
func (p *Plugin) environmentOf(ref string) (string, string, error) {
	p.inv.mu.RLock()
	defer p.inv.mu.RUnlock()
	for cluster, cs := range p.inv.state {
		for ns, env := range cs.envs {
			if strings.EqualFold(env.EntityRef, ref) {
				return cluster, ns, nil
			}
		}
	}
	return "", "", fmt.Errorf("%s is not an environment Pont sees", ref)
}

// --- extend an environment's TTL ---------------------------------------------

type extendEnvironment struct{ p *Plugin }

func (a extendEnvironment) Spec() plugins.ActionSpec {
	return plugins.ActionSpec{
		ID: "kubernetes.extend-environment", Title: "Extend this environment's TTL",
		Description: "Moves the environment's expiry to the given number of hours from now (it is deleted then); you become the one it is deleted for.",
		InputSchema: json.RawMessage(`{"type": "object", "required": ["ttlHours"], "additionalProperties": false,
			"properties": {"ttlHours": {"type": "integer", "title": "Delete after (hours from now)", "minimum": 1, "maximum": 2160}}}`),
		AppliesTo: plugins.EntitySelector{Kinds: []string{"resource"}, Types: []string{TypeEnvironment}},
	}
}

// extension is one run's extension: where, until when, as whom.
type extension struct {
	cluster, ns string
	at          time.Time
	cfg         *rest.Config // the cluster as the requester
	obj         *unstructured.Unstructured
}

// extension checks the request and renders the namespace's new expiry,
// counted from now.
func (a extendEnvironment) extension(req plugins.ActionRequest) (*extension, error) {
	cluster, ns, err := where(req.Target)
	if err != nil {
		return nil, err
	}
	hours, _ := req.Input["ttlHours"].(float64)
	ttl := time.Duration(hours) * time.Hour
	if hours < 1 {
		return nil, plugins.Permanent(fmt.Errorf("ttlHours: %v is less than 1", req.Input["ttlHours"]))
	}
	if max := a.p.environmentTemplate().MaxTTL; max > 0 && ttl > max {
		return nil, plugins.Permanent(&provision.InvalidInput{Fields: []*provision.FieldError{{Field: "ttlHours", Detail: fmt.Sprintf("%v is longer than the allowed %v", ttl, max)}}})
	}
	cfg, err := a.p.userConfig(cluster, req.Actor)
	if err != nil {
		return nil, err
	}
	at := time.Now().Add(ttl)
	return &extension{cluster: cluster, ns: ns, at: at, cfg: cfg, obj: provision.ExpiryObject(ns, at, req.RunID)}, nil
}

func (e *extension) String() string {
	return fmt.Sprintf("namespace %s on %s expires at %s", e.ns, e.cluster, e.at.UTC().Format(time.RFC3339))
}

func (a extendEnvironment) Plan(ctx context.Context, req plugins.ActionRequest) (*plugins.Plan, error) {
	e, err := a.extension(req)
	if err != nil {
		return nil, err
	}
	d, err := provision.PlanAs(ctx, e.cfg, []*unstructured.Unstructured{e.obj}, provision.ExpiryFieldManager)
	if err != nil {
		return nil, clusterFailure(err)
	}
	return planOf(e.String(), d), nil
}

func (a extendEnvironment) Run(ctx context.Context, req plugins.ActionRequest, out plugins.RunReporter) (*plugins.RunResult, error) {
	e, err := a.extension(req)
	if err != nil {
		return nil, err
	}
	err = out.Once("extend", func() error {
		if err := provision.ApplyAs(ctx, e.cfg, []*unstructured.Unstructured{e.obj}, provision.ExpiryFieldManager); err != nil {
			return clusterFailure(err)
		}
		out.Log("%s", e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	at := e.at.UTC().Format(time.RFC3339)
	return &plugins.RunResult{Summary: "expires at " + at, Entities: []string{req.Target.Ref}, Outputs: map[string]any{"expiresAt": at}}, nil
}
