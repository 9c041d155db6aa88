package operators

import (
	"fmt"
	"strconv"

	"github.com/pont-dev/pont/plugins"
)

// Crunchy PGO (postgres-operator.crunchydata.com, v1beta1 stored, v1
// served: the fields read here are the same in both). PostgresCluster has
// no phase and no Ready condition: health is derived from the per
// instance-set counts in status.instances, and from observedGeneration.

// pgoSpec reads what Crunchy PGO and its Percona fork share: instance
// sets, storage, the running major version (at observed in status) else
// the requested one, the Services and the user Secrets.
func pgoSpec(obj map[string]any, observed []string, percona bool) plugins.DatabaseState {
	n := name(obj)
	st := plugins.DatabaseState{Engine: "postgresql"}
	st.DesiredInstances, st.Storage = pgInstanceSets(obj)
	if v, ok := integer(obj, observed...); ok && v > 0 {
		st.Version = strconv.Itoa(v)
	} else if v, ok := integer(obj, "spec", "postgresVersion"); ok && v > 0 {
		st.Version = strconv.Itoa(v)
	} else {
		st.Version = imageVersion(str(obj, "spec", "image"))
	}
	if n != "" {
		st.Services = []string{n + "-primary", n + "-replicas"}
		if mapAt(obj, "spec", "proxy", "pgBouncer") != nil {
			st.Services = append(st.Services, n+"-pgbouncer")
		}
	}
	st.Secrets = pgUserSecrets(obj, n, percona)
	return st
}

func normalizeCrunchy(obj map[string]any) plugins.DatabaseState {
	st := pgoSpec(obj, []string{"status", "postgresVersion"}, false)

	status := statusOf(obj)
	if status == nil {
		return unknown(st, noStatus)
	}
	var ready, updated, observed int
	sets := maps(status, "instances")
	for _, s := range sets {
		ready += intOr(s, 0, "readyReplicas")
		updated += intOr(s, 0, "updatedReplicas")
		observed += intOr(s, 0, "replicas")
	}
	st.ReadyInstances = intp(ready)
	desired := 0
	if st.DesiredInstances != nil {
		desired = *st.DesiredInstances
	}
	counts := fmt.Sprintf("%d of %d instances ready", ready, desired)

	resizeErr := condition(obj, "PersistentVolumeResizeError")
	switch {
	case isTrue(obj, "spec", "shutdown"):
		// Scaled to zero on purpose.
		st.Health = plugins.HealthDegraded
		st.Message = "spec.shutdown is set: the instances are stopped"
		if ready > 0 {
			st.Health = plugins.HealthProgressing
			st.Message = "shutting down (spec.shutdown is set)"
		}
	case stale(obj, "status", "observedGeneration"):
		st.Health = plugins.HealthProgressing
		st.Message = "the operator has not yet reconciled the latest change; " + counts
	case len(sets) > 0 && ready >= desired && updated >= desired && observed <= desired:
		st.Health = plugins.HealthReady
	case updated < observed || observed != desired:
		// A rolling update or a scale is under way.
		st.Health = plugins.HealthProgressing
		st.Message = counts
	case ready == 0:
		// Nothing ready and nothing to roll: starting up (Crunchy says no
		// more; the pods tell whether it is stuck).
		st.Health = plugins.HealthProgressing
		st.Message = counts
	default:
		st.Health = plugins.HealthDegraded
		st.Message = counts
	}
	if str(resizeErr, "status") == "True" && st.Health != plugins.HealthProgressing {
		st.Health = plugins.HealthDegraded
		st.Message = redact("volume resize failed: " + condMessage(resizeErr))
	}
	return st
}

// pgInstanceSets sums spec.instances[].replicas (default 1 per set, the
// CRD default) and reads the first set's data volume request: the shape
// Crunchy and Percona PostgreSQL share.
func pgInstanceSets(obj map[string]any) (*int, string) {
	sets := maps(obj, "spec", "instances")
	if len(sets) == 0 {
		return nil, ""
	}
	total, storage := 0, ""
	for _, s := range sets {
		total += intOr(s, 1, "replicas")
		if storage == "" {
			storage = pvcStorage(mapAt(s, "dataVolumeClaimSpec"))
		}
	}
	return intp(total), storage
}

// pgUserSecrets names the user Secrets <cluster>-pguser-<user> of
// spec.users, or the default user's <cluster>-pguser-<cluster> when the
// spec lists none (internal/naming.PostgresUserSecret). Percona's fork
// lets a user name its own Secret (users[].secretName).
func pgUserSecrets(obj map[string]any, n string, secretNameField bool) []string {
	if n == "" {
		return nil
	}
	var out []string
	users := maps(obj, "spec", "users")
	for _, u := range users {
		if secretNameField {
			if s := str(u, "secretName"); s != "" {
				out = addName(out, s)
				continue
			}
		}
		if un := str(u, "name"); un != "" {
			out = addName(out, n+"-pguser-"+un)
		}
	}
	if len(users) == 0 {
		out = []string{n + "-pguser-" + n}
	}
	return out
}
