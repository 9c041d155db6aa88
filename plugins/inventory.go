// Package plugins is the contract between Pont's core and its plugins. The
// core (graph, internal/server) never imports a plugin: it sees the
// interfaces here, and cmd/pont wires the plugins that implement them.
package plugins

import (
	"context"
	"time"
)

// Inventory is a live, normalized picture of the infrastructure a plugin
// watches: clusters, the environments on them and the databases in those.
// Reads are served from memory and never wait on a cluster.
type Inventory interface {
	Clusters() []Cluster
	Environments(f EnvironmentFilter) []Environment
	Databases(f DatabaseFilter) []Database
	// Workloads are the Deployments, StatefulSets and Pods labelled with a
	// component's kubernetes id, on every cluster.
	Workloads(kubernetesID string) []Workload
	// Subscribe delivers every change of a cluster, environment or
	// database until ctx ends. A subscriber that falls behind loses
	// events and receives one with Overflow set.
	Subscribe(ctx context.Context, buffer int) <-chan InventoryEvent
}

// Cluster is one Kubernetes cluster Pont watches.
type Cluster struct {
	Name   string
	Server string // API server URL; never credentials
	Source string // "config" or "argocd:<namespace>/<secret>"
	// Version is the API server's gitVersion, once it answered.
	Version   string
	Reachable bool
	// LastSyncAt is when every informer of the cluster last had synced.
	LastSyncAt *time.Time
	// Error is the last error talking to the cluster ("" when healthy).
	Error string
	// Kinds are the database kinds whose CRD the cluster serves
	// ("clusters.postgresql.cnpg.io").
	Kinds     []string
	EntityRef string
}

// Environment is a namespace that carries Pont's environment labels.
type Environment struct {
	Cluster   string
	Namespace string
	// Name is the environment's name (the label's value: dev, staging …).
	Name       string
	Owner      string   // entity ref of the owning group ("" when unlabelled)
	System     string   // entity ref of a system ("" when none)
	Components []string // entity refs of components (kubernetes-id)
	Phase      string   // Active or Terminating
	Quota      []QuotaItem
	Labels     map[string]string
	CreatedAt  time.Time
	// CreatedBy is who asked Pont for it ("" when Pont did not create it).
	CreatedBy string
	// ExpiresAt is when Pont tears it down (its TTL), nil for never.
	ExpiresAt *time.Time
	// Stale is set while the cluster is unreachable: this is the last
	// picture Pont had.
	Stale     bool
	EntityRef string
}

// QuotaItem is one resource of a namespace's ResourceQuotas.
type QuotaItem struct {
	Resource string // "requests.cpu"
	Hard     string
	Used     string
}

// Health is a database's state, normalized over every operator.
type Health string

// The five states every operator's status maps onto.
const (
	HealthReady       Health = "ready"
	HealthProgressing Health = "progressing"
	HealthDegraded    Health = "degraded"
	HealthFailed      Health = "failed"
	HealthUnknown     Health = "unknown"
)

// DatabaseState is what an operator's custom resource says about its
// database, normalized: one adapter per operator kind fills it.
type DatabaseState struct {
	Engine  string // postgresql, mysql, mongodb, redis, clickhouse, …
	Version string // "16.4", "8.0.36", "" when the resource does not say
	// DesiredInstances and ReadyInstances are nil when the operator does
	// not say.
	DesiredInstances *int
	ReadyInstances   *int
	Storage          string // requested data volume size ("10Gi")
	Health           Health
	// Phase is the operator's own word for the state, unchanged.
	Phase   string
	Message string
	// Services and Secrets are the names of the connection Service(s) and
	// credential Secret(s): names only, never their contents.
	Services []string
	Secrets  []string
	// Endpoint is a host (or URI without credentials) the operator reports.
	Endpoint string
	// Parent names the resource this one belongs to (a CloudNativePG
	// Database or Pooler names its Cluster).
	Parent string
}

// Database is one custom resource of a known operator kind.
type Database struct {
	Cluster   string
	Namespace string
	Name      string
	Operator  string // "CloudNativePG"
	Kind      string // "Cluster"
	Group     string // "postgresql.cnpg.io"
	DatabaseState
	Environment string   // entity ref of the environment ("" when the namespace is none)
	Owner       string   // entity ref of the owning group
	Dependents  []string // entity refs of components that depend on it
	Stale       bool
	CreatedAt   time.Time
	UpdatedAt   time.Time // when Pont last saw it change
	EntityRef   string
}

// Key identifies a database across clusters: cluster/namespace/group/kind/name.
func (d *Database) Key() string {
	return d.Cluster + "/" + d.Namespace + "/" + d.Group + "/" + d.Kind + "/" + d.Name
}

// EnvironmentFilter selects environments; empty fields match all.
type EnvironmentFilter struct {
	Cluster string
	Owner   string // entity ref
	// Component keeps the environments linked to this component (ref).
	Component string
}

// DatabaseFilter selects databases; empty fields match all.
type DatabaseFilter struct {
	Cluster     string
	Owner       string // entity ref
	Engine      string
	Health      Health
	Environment string // entity ref
	// Component keeps the databases this component (ref) depends on, and
	// those in the environments linked to it.
	Component string
}

// Workload is a Deployment or StatefulSet, or a Pod no workload owns.
type Workload struct {
	Cluster   string
	Namespace string
	Kind      string // Deployment, StatefulSet
	Name      string
	Desired   int
	Ready     int
	Pods      []Pod
}

// Pod is one pod of a workload.
type Pod struct {
	Name     string
	Phase    string
	Ready    bool
	Restarts int
	// Reasons say why an unhealthy pod is so: CrashLoopBackOff,
	// ImagePullBackOff, OOMKilled, Unschedulable …
	Reasons []string
}

// InventoryEvent says what changed.
type InventoryEvent struct {
	Type        InventoryEventType
	Cluster     *Cluster
	Environment *Environment
	Database    *Database
	// Removed is set when the object is gone.
	Removed  bool
	Overflow bool
}

// InventoryEventType names the kind of object an event is about.
type InventoryEventType string

// The objects an event can be about.
const (
	EventCluster     InventoryEventType = "CLUSTER"
	EventEnvironment InventoryEventType = "ENVIRONMENT"
	EventDatabase    InventoryEventType = "DATABASE"
)
