package operators

import (
	"fmt"
	"strings"

	"github.com/pont-dev/pont/plugins"
)

// Oracle MySQL Operator (mysql.oracle.com/v2, InnoDBCluster). The operator
// (Python, kopf) publishes status.cluster = {status, onlineInstances,
// lastProbeTime}; status values are diagnose.py's ClusterDiagStatus.
// Clients go through MySQL Router, whose Service is named like the
// cluster; root credentials are in spec.secretName.

func normalizeInnoDBCluster(obj map[string]any) plugins.DatabaseState {
	n := name(obj)
	st := plugins.DatabaseState{
		Engine:  "mysql",
		Version: str(obj, "spec", "version"),
		Storage: pvcStorage(mapAt(obj, "spec", "datadirVolumeClaimTemplate")),
	}
	st.DesiredInstances = intp(intOr(obj, 1, "spec", "instances")) // CRD default 1
	if n != "" {
		st.Services = []string{n, n + "-instances"}
	}
	st.Secrets = addName(nil, str(obj, "spec", "secretName"))

	status := statusOf(obj)
	if status == nil {
		return unknown(st, noStatus)
	}
	if online, ok := integer(status, "cluster", "onlineInstances"); ok {
		st.ReadyInstances = intp(online)
	}
	st.Phase = str(status, "cluster", "status")
	switch strings.ToUpper(st.Phase) {
	case "ONLINE":
		st.Health = plugins.HealthReady
		if st.ReadyInstances != nil && *st.ReadyInstances < *st.DesiredInstances {
			st.Health = plugins.HealthDegraded
		}
	case "ONLINE_PARTIAL", "ONLINE_UNCERTAIN":
		// Serving with a quorum, but some members are not online (or
		// could not be checked).
		st.Health = plugins.HealthDegraded
	case "NO_QUORUM", "NO_QUORUM_UNCERTAIN", "SPLIT_BRAIN", "SPLIT_BRAIN_UNCERTAIN",
		"OFFLINE", "OFFLINE_UNCERTAIN", "INVALID":
		// No quorum, two primaries or no member up: the group does not
		// accept writes. The operator may reboot an OFFLINE cluster, but
		// until then the database is down.
		st.Health = plugins.HealthFailed
	case "INITIALIZING", "PENDING", "FINALIZING":
		st.Health = plugins.HealthProgressing
	default: // UNKNOWN, or a value this adapter does not know
		st.Health = plugins.HealthUnknown
	}
	if st.Health != plugins.HealthReady && st.ReadyInstances != nil {
		st.Message = fmt.Sprintf("%d of %d instances online", *st.ReadyInstances, *st.DesiredInstances)
	}
	return st
}
