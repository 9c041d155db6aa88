package provision

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"k8s.io/client-go/rest"
)

// reservedPrefix marks Kubernetes' own identities: system:masters bypasses
// RBAC altogether, system:serviceaccount:… and system:node:… are
// workloads and kubelets, system:authenticated is everyone. None of them
// is a person asking Pont for something.
const reservedPrefix = "system:"

// ForUser returns a copy of Pont's own config (base) that impersonates the
// requesting user with the given groups: every request made with it is
// authorized by the cluster as that user, never as Pont.
//
// Groups starting with "system:" are dropped (and empty or repeated ones):
// were Pont to pass system:masters on, RBAC would not even be consulted.
// The API server adds system:authenticated by itself. A user that is empty
// or starts with "system:" is refused, and so is a nil base. Any error
// means no config: there is no fallback to Pont's own identity, so a caller
// cannot accidentally act as Pont.
//
// Groups must be the names the cluster knows (the same mapping as
// EnvironmentTemplate.KubernetesGroup), not catalog refs.
//
// Pont's identity needs only the verb impersonate on users and groups (see
// the package documentation) besides its read-only role; it can restrict
// them with resourceNames. It needs no write permission of its own. (The
// tests use that classic verb; API servers with constrained impersonation
// name the missing right differently in a refusal, e.g.
// "impersonate-on:user-info:get", and DeniedError passes that on as is.)
func ForUser(base *rest.Config, user string, groups []string) (*rest.Config, error) {
	if base == nil {
		return nil, errors.New("impersonate: no base config")
	}
	if strings.TrimSpace(user) == "" {
		return nil, errors.New("impersonate: empty user name")
	}
	if reserved(user) {
		return nil, fmt.Errorf("impersonate: refusing to act as %q: names starting with %q belong to Kubernetes itself", user, reservedPrefix)
	}
	kept := make([]string, 0, len(groups))
	for _, g := range groups {
		if strings.TrimSpace(g) == "" || reserved(g) || slices.Contains(kept, g) {
			continue
		}
		kept = append(kept, g)
	}
	cfg := rest.CopyConfig(base)
	// Replace whatever impersonation base carried, UID and extras too: the
	// request must carry this user's identity and nothing else.
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: kept}
	return cfg, nil
}

// reserved compares leniently: Kubernetes is case-sensitive, so
// "System:masters" grants nothing, but nothing legitimate looks like it.
func reserved(name string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(name)), reservedPrefix)
}
