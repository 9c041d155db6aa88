package operators

import (
	"strings"

	"github.com/pont-dev/pont/plugins"
)

// Zalando postgres-operator (acid.zalan.do/v1, kind "postgresql",
// lower-case). Its status is one field, PostgresClusterStatus, with the
// values of pkg/apis/acid.zalan.do/v1/const.go; it never counts ready
// pods, so ReadyInstances stays nil.

// zalandoSecretSuffix completes the operator's default secret_name_template
// "{username}.{cluster}.credentials.{tprkind}.{tprgroup}". A deployment
// that changes the template names its Secrets otherwise; Pont cannot see
// the operator's configuration.
const zalandoSecretSuffix = ".credentials.postgresql.acid.zalan.do"

func normalizeZalando(obj map[string]any) plugins.DatabaseState {
	n := name(obj)
	st := plugins.DatabaseState{
		Engine:  "postgresql",
		Version: str(obj, "spec", "postgresql", "version"),
		Storage: quantity(obj, "spec", "volume", "size"),
	}
	if d, ok := integer(obj, "spec", "numberOfInstances"); ok {
		st.DesiredInstances = intp(d)
	}
	if n != "" {
		// Master Service <name>, replica Service <name>-repl, and the
		// connection pooler's when enabled.
		st.Services = []string{n, n + "-repl"}
		if isTrue(obj, "spec", "enableConnectionPooler") {
			st.Services = append(st.Services, n+"-pooler")
		}
		if isTrue(obj, "spec", "enableReplicaConnectionPooler") {
			st.Services = append(st.Services, n+"-pooler-repl")
		}
		// One Secret per user of spec.users (the operator writes "-" for
		// "_" in the user part of the name).
		for _, u := range sortedKeys(obj, "spec", "users") {
			st.Secrets = addName(st.Secrets, strings.ReplaceAll(u, "_", "-")+"."+n+zalandoSecretSuffix)
		}
	}

	status := statusOf(obj)
	if status == nil {
		return unknown(st, noStatus)
	}
	st.Phase = str(status, "PostgresClusterStatus")
	switch st.Phase {
	case "Running":
		st.Health = plugins.HealthReady
	case "Creating", "Updating":
		st.Health = plugins.HealthProgressing
	case "CreateFailed", "UpdateFailed", "SyncFailed", "Invalid":
		st.Health = plugins.HealthFailed
	default:
		if strings.HasSuffix(st.Phase, "Failed") {
			st.Health = plugins.HealthFailed
		} else {
			st.Health = plugins.HealthUnknown
		}
	}
	return st
}
