package operators

import (
	"github.com/pont-dev/pont/plugins"
)

// KubeDB (kubedb.com, v1 stored, v1alpha2 served): Postgres, MySQL,
// MongoDB, Redis share one shape. spec.version names a catalog version
// object (it reads like "16.1" but is a name); status.phase is
// Provisioning, DataRestoring, Ready, Critical, NotReady, Halted or
// Unknown, with conditions (Ready, AcceptingConnection, ReplicaReady …)
// saying more. KubeDB does not count ready pods: ReadyInstances stays nil.

// kubedbCommon reads what every KubeDB kind shares. The auth Secret is
// spec.authSecret.name, else the one the operator made (<name>-auth).
func kubedbCommon(obj map[string]any, engine string) plugins.DatabaseState {
	n := name(obj)
	st := plugins.DatabaseState{
		Engine:  engine,
		Version: str(obj, "spec", "version"),
		Storage: pvcStorage(mapAt(obj, "spec", "storage")),
	}
	// KubeDB's defaulting sets replicas to 1 when the spec leaves it out.
	st.DesiredInstances = intp(intOr(obj, 1, "spec", "replicas"))
	if s := str(obj, "spec", "authSecret", "name"); s != "" {
		st.Secrets = []string{s}
	} else if n != "" {
		st.Secrets = []string{n + "-auth"}
	}
	if n != "" {
		// The primary Service is named like the database; <name>-pods
		// is the governing (headless) Service.
		st.Services = []string{n, n + "-pods"}
	}
	return st
}

// kubedbHealth reads status.phase. Critical is KubeDB's "serving, but
// some replicas are not": degraded. NotReady is "not accepting
// connections": failed. Halted is a database stopped on purpose
// (spec.halted / deletionPolicy Halt): degraded.
func kubedbHealth(obj map[string]any, st plugins.DatabaseState) plugins.DatabaseState {
	status := statusOf(obj)
	if status == nil {
		return unknown(st, noStatus)
	}
	st.Phase = str(status, "phase")
	switch st.Phase {
	case "Ready":
		st.Health = plugins.HealthReady
	case "Provisioning", "DataRestoring":
		st.Health = plugins.HealthProgressing
	case "Critical", "Halted":
		st.Health = plugins.HealthDegraded
	case "NotReady":
		st.Health = plugins.HealthFailed
	default:
		st.Health = plugins.HealthUnknown
	}
	if st.Health == plugins.HealthReady && stale(obj, "status", "observedGeneration") {
		st.Health = plugins.HealthProgressing
		st.Message = "the operator has not yet reconciled the latest change"
	}
	if st.Health != plugins.HealthReady && st.Message == "" {
		st.Message = kubedbMessage(obj)
	}
	return st
}

// kubedbMessage explains an unhealthy phase by the first failing
// condition among those that matter to a client.
func kubedbMessage(obj map[string]any) string {
	// Each of these says something is wrong when False …
	for _, t := range []string{"Ready", "AcceptingConnection", "ReplicaReady", "Provisioned"} {
		if c := condition(obj, t); str(c, "status") == "False" {
			if m := condMessage(c); m != "" {
				return redact(m)
			}
		}
	}
	// … and this one when True.
	if c := condition(obj, "Halted"); str(c, "status") == "True" {
		return redact(condMessage(c))
	}
	return ""
}

func normalizeKubeDBPostgres(obj map[string]any) plugins.DatabaseState {
	st := kubedbCommon(obj, "postgresql")
	if n := name(obj); n != "" {
		// Postgres adds the standby Service for read replicas.
		st.Services = []string{n, n + "-standby", n + "-pods"}
	}
	return kubedbHealth(obj, st)
}

func normalizeKubeDBMySQL(obj map[string]any) plugins.DatabaseState {
	return kubedbHealth(obj, kubedbCommon(obj, "mysql"))
}

// normalizeKubeDBMongoDB: a sharded MongoDB (spec.shardTopology) counts
// shards × replicas of the shard replica sets (config servers and mongos
// hold no user data) and stores on the shard's volume.
func normalizeKubeDBMongoDB(obj map[string]any) plugins.DatabaseState {
	st := kubedbCommon(obj, "mongodb")
	if shard := mapAt(obj, "spec", "shardTopology", "shard"); shard != nil {
		if shards, ok := integer(shard, "shards"); ok {
			st.DesiredInstances = intp(shards * intOr(shard, 1, "replicas"))
		}
		if s := pvcStorage(mapAt(shard, "storage")); s != "" {
			st.Storage = s
		}
	}
	return kubedbHealth(obj, st)
}

// normalizeKubeDBRedis: in Cluster mode, v1 counts spec.cluster.shards ×
// replicas (a shard's replicas include its master); v1alpha2 wrote
// master × (replicas + 1).
func normalizeKubeDBRedis(obj map[string]any) plugins.DatabaseState {
	st := kubedbCommon(obj, "redis")
	if shards, ok := integer(obj, "spec", "cluster", "shards"); ok {
		st.DesiredInstances = intp(shards * intOr(obj, 1, "spec", "cluster", "replicas"))
	} else if masters, ok := integer(obj, "spec", "cluster", "master"); ok {
		st.DesiredInstances = intp(masters * (intOr(obj, 0, "spec", "cluster", "replicas") + 1))
	}
	return kubedbHealth(obj, st)
}
