// Package provision holds the Kubernetes primitives behind Pont's
// self-service actions: creating an environment (a namespace with its
// quota, limits, network policies and the owning team's RoleBinding) or a
// database (a custom resource of CloudNativePG, Zalando's postgres-operator
// or the MongoDB Community operator), changing them, and taking them down.
//
// # The flow
//
//  1. Template: EnvironmentObjects and DatabaseObject turn a validated
//     request into unstructured objects carrying Pont's labels, the ones
//     the Kubernetes plugin reads back (pont.dev/environment,
//     pont.dev/owner, backstage.io/kubernetes-id …). Invalid input is an
//     *InvalidInput listing every bad field by name, so a form can show
//     them all at once. Nothing touches a cluster yet.
//  2. Impersonate: ForUser turns Pont's own cluster config into one that
//     acts as the requesting user. Every later step runs with it, so the
//     cluster's own RBAC decides what a user may provision: Pont holds no
//     write permission of its own and cannot be used to exceed the user's.
//  3. Plan: a server-side apply with dryRun=All, compared with what
//     exists, gives a per-object diff (create / update / unchanged) to
//     show before anything changes. The dry run goes through admission,
//     schema validation and RBAC exactly as the real apply will, so a plan
//     that succeeds is a strong hint the apply will, and a denied plan
//     fails with the cluster's own words (*DeniedError).
//  4. Apply: server-side apply with field manager "pont", in dependency
//     order (namespaces first). Applying the same objects again changes
//     nothing, not even a resourceVersion, so a retried action is safe.
//  5. Wait: WaitReady watches the object until a predicate (DatabaseReady
//     for the database kinds: the plugin's own health reading) holds.
//
// Delete and DeleteNamespace undo it, with foreground propagation so that
// dependents go first and "gone" means gone.
//
// # The RBAC this needs
//
// Pont's identity needs only the right to impersonate, on top of its
// read-only role (deploy/kubernetes/rbac-read.yaml):
//
//	apiVersion: rbac.authorization.k8s.io/v1
//	kind: ClusterRole
//	metadata: {name: pont-impersonator}
//	rules:
//	  - apiGroups: [""]
//	    resources: [users, groups]
//	    verbs: [impersonate]
//
// The users, through their groups, need what they provision: create and
// patch on namespaces, resourcequotas, limitranges, networkpolicies,
// rolebindings and the database kinds, and `bind` on the ClusterRole the
// environment template grants (or hold all its permissions), because
// Kubernetes refuses a RoleBinding that would hand out more than its
// creator has. provision_test.go builds exactly this on a real API server.
package provision
