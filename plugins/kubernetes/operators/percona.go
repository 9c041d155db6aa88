package operators

import (
	"fmt"
	"strings"

	"github.com/pont-dev/pont/plugins"
)

// The Percona operators (MongoDB: psmdb.percona.com/v1, MySQL PXC:
// pxc.percona.com/v1, PostgreSQL: pgv2.percona.com/v2) share one
// vocabulary: status.state is an AppState ("initializing", "ready",
// "error", "paused", "stopping", "pending", "sharding", "unknown"), and
// status.host is the endpoint clients use.

// perconaHealth maps an AppState. ready is the only state of a cluster
// that serves as asked; a ready cluster with fewer ready pods than the
// same status counts (ready < size) is degraded. The second result
// explains a health the operator's message may not: what Pont decided.
func perconaHealth(state string, ready, size *int, pods string) (plugins.Health, string) {
	switch strings.ToLower(state) {
	case "ready":
		if ready != nil && size != nil && *ready < *size {
			return plugins.HealthDegraded, fmt.Sprintf("%d of %d %s ready", *ready, *size, pods)
		}
		return plugins.HealthReady, ""
	case "initializing", "pending", "stopping", "sharding":
		// sharding: PSMDB is turning sharding on or off; stopping: on
		// the way to paused.
		return plugins.HealthProgressing, ""
	case "paused":
		// spec.pause: the pods are gone on purpose.
		return plugins.HealthDegraded, "paused on purpose (spec.pause)"
	case "error":
		return plugins.HealthFailed, ""
	}
	return plugins.HealthUnknown, ""
}

// perconaResult fills Health and, when the operator said nothing,
// Message.
func perconaResult(st plugins.DatabaseState, ready, size *int, pods string) plugins.DatabaseState {
	var why string
	st.Health, why = perconaHealth(st.Phase, ready, size, pods)
	if st.Message == "" {
		st.Message = why
	}
	return st
}

// perconaMessage is the operator's message: status.message is a string in
// PSMDB and a list of strings in PXC; else the message of the condition
// matching the state.
func perconaMessage(obj map[string]any) string {
	if m := str(obj, "status", "message"); m != "" {
		return redact(m)
	}
	if ms := strs(obj, "status", "message"); len(ms) > 0 {
		return redact(strings.Join(ms, "; "))
	}
	state := str(obj, "status", "state")
	// The condition list is a history; the last one of the current state
	// is the one that explains it.
	conds := maps(obj, "status", "conditions")
	for i := len(conds) - 1; i >= 0; i-- {
		if strings.EqualFold(str(conds[i], "type"), state) && str(conds[i], "status") == "True" {
			return redact(condMessage(conds[i]))
		}
	}
	return ""
}

// normalizePSMDB: replica sets in spec.replsets[] (plus the config server
// replica set when sharded), counted in status.replsets{}.
func normalizePSMDB(obj map[string]any) plugins.DatabaseState {
	n := name(obj)
	st := plugins.DatabaseState{Engine: "mongodb"}
	st.Version = str(obj, "status", "mongoVersion")
	if st.Version == "" {
		st.Version = imageVersion(str(obj, "spec", "image"))
	}
	sharded := isTrue(obj, "spec", "sharding", "enabled")
	var desired *int
	for _, rs := range maps(obj, "spec", "replsets") {
		if s, ok := integer(rs, "size"); ok {
			desired = sumOpt(desired, intp(s))
		}
		if st.Storage == "" {
			st.Storage = pvcStorage(mapAt(rs, "volumeSpec", "persistentVolumeClaim"))
		}
		if rsName := str(rs, "name"); n != "" && rsName != "" {
			// One Service per replica set, <cluster>-<replset>.
			st.Services = addName(st.Services, n+"-"+rsName)
		}
	}
	if sharded {
		if s, ok := integer(obj, "spec", "sharding", "configsvrReplSet", "size"); ok {
			desired = sumOpt(desired, intp(s))
		}
		if n != "" {
			// Clients of a sharded cluster go through mongos.
			st.Services = append([]string{n + "-mongos"}, st.Services...)
		}
	}
	st.DesiredInstances = desired
	// The users Secret: spec.secrets.users, defaulted by the operator to
	// <cluster>-secrets.
	st.Secrets = perconaSecrets(obj, "spec", "secrets", "users")

	status := statusOf(obj)
	if status == nil {
		return unknown(st, noStatus)
	}
	var ready, observed *int
	for _, rs := range sortedKeys(status, "replsets") {
		if r, ok := integer(status, "replsets", rs, "ready"); ok {
			ready = sumOpt(ready, intp(r))
		}
		if s, ok := integer(status, "replsets", rs, "size"); ok {
			observed = sumOpt(observed, intp(s))
		}
	}
	st.ReadyInstances = ready
	st.Endpoint = cleanEndpoint(str(status, "host"))
	st.Phase = str(status, "state")
	st.Message = perconaMessage(obj)
	return perconaResult(st, ready, observed, "mongod pods")
}

// normalizePXC: the database pods are spec.pxc.size (HAProxy or ProxySQL
// pods in front are not counted).
func normalizePXC(obj map[string]any) plugins.DatabaseState {
	n := name(obj)
	st := plugins.DatabaseState{
		Engine:  "mysql",
		Storage: pvcStorage(mapAt(obj, "spec", "pxc", "volumeSpec", "persistentVolumeClaim")),
	}
	st.Version = str(obj, "status", "pxc", "version")
	if st.Version == "" {
		st.Version = imageVersion(str(obj, "spec", "pxc", "image"))
	}
	if s, ok := integer(obj, "spec", "pxc", "size"); ok {
		st.DesiredInstances = intp(s)
	}
	if n != "" {
		// Clients connect through the proxy in front (HAProxy: <name>-haproxy,
		// with <name>-haproxy-replicas for reads; ProxySQL: <name>-proxysql),
		// or to <name>-pxc without one.
		switch {
		case isTrue(obj, "spec", "haproxy", "enabled"):
			st.Services = []string{n + "-haproxy", n + "-haproxy-replicas"}
		case isTrue(obj, "spec", "proxysql", "enabled"):
			st.Services = []string{n + "-proxysql"}
		}
		st.Services = append(st.Services, n+"-pxc")
	}
	st.Secrets = perconaSecrets(obj, "spec", "secretsName")

	status := statusOf(obj)
	if status == nil {
		return unknown(st, noStatus)
	}
	var ready, size *int
	if r, ok := integer(status, "pxc", "ready"); ok {
		ready = intp(r)
	} else if _, ok := get(status, "pxc"); ok {
		ready = intp(0)
	}
	if s, ok := integer(status, "pxc", "size"); ok {
		size = intp(s)
	}
	st.ReadyInstances = ready
	st.Endpoint = cleanEndpoint(str(status, "host"))
	st.Phase = str(status, "state")
	st.Message = perconaMessage(obj)
	if st.Message == "" {
		st.Message = redact(str(status, "pxc", "message"))
	}
	return perconaResult(st, ready, size, "PXC pods")
}

// normalizePerconaPG: a fork of Crunchy PGO with a state. Instance sets
// and user Secrets are Crunchy's.
func normalizePerconaPG(obj map[string]any) plugins.DatabaseState {
	st := pgoSpec(obj, []string{"status", "postgres", "version"}, true)

	status := statusOf(obj)
	if status == nil {
		return unknown(st, noStatus)
	}
	var ready, size *int
	if r, ok := integer(status, "postgres", "ready"); ok {
		ready = intp(r)
	}
	if s, ok := integer(status, "postgres", "size"); ok {
		size = intp(s)
	}
	st.ReadyInstances = ready
	st.Endpoint = cleanEndpoint(str(status, "host"))
	st.Phase = str(status, "state")
	st.Message = perconaMessage(obj)
	return perconaResult(st, ready, size, "instances")
}

// perconaSecrets is the users Secret named at path, which the Percona
// operators default to <cluster>-secrets.
func perconaSecrets(obj map[string]any, path ...string) []string {
	if s := str(obj, path...); s != "" {
		return []string{s}
	}
	if n := name(obj); n != "" {
		return []string{n + "-secrets"}
	}
	return nil
}
