package operators

import (
	"strings"

	"github.com/pont-dev/pont/plugins"
)

// Altinity ClickHouse operator (clickhouse.altinity.com/v1,
// ClickHouseInstallation). status.status is InProgress, Completed,
// Aborted or Terminating: the state of the operator's last reconcile
// task. The ClickHouse version is only in the pod template's image
// (status.chop-version is the operator's own version), and the data
// volume only in a volume claim template. The operator counts hosts but
// not ready ones: ReadyInstances stays nil.

func normalizeClickHouse(obj map[string]any) plugins.DatabaseState {
	n := name(obj)
	st := plugins.DatabaseState{Engine: "clickhouse"}
	st.Version = clickhouseVersion(obj)
	st.Storage = clickhouseStorage(obj)
	// Hosts = shards × replicas of each cluster (layout counts default
	// to 1).
	var desired *int
	for _, c := range maps(obj, "spec", "configuration", "clusters") {
		shards := intOr(c, 1, "layout", "shardsCount")
		if l := maps(c, "layout", "shards"); len(l) > shards {
			shards = len(l)
		}
		replicas := intOr(c, 1, "layout", "replicasCount")
		desired = sumOpt(desired, intp(shards*replicas))
	}
	st.DesiredInstances = desired
	if n != "" {
		st.Services = []string{"clickhouse-" + n}
	}

	status := statusOf(obj)
	if status == nil {
		return unknown(st, noStatus)
	}
	st.Endpoint = cleanEndpoint(str(status, "endpoint"))
	st.Phase = str(status, "status")
	st.Message = redact(str(status, "error"))
	if errs := strs(status, "errors"); st.Message == "" && len(errs) > 0 {
		st.Message = redact(errs[len(errs)-1])
	}
	switch st.Phase {
	case "Completed":
		st.Health = plugins.HealthReady
	case "InProgress", "Terminating":
		st.Health = plugins.HealthProgressing
	case "Aborted":
		st.Health = plugins.HealthFailed
	default:
		st.Health = plugins.HealthUnknown
	}
	if stop, _ := boolWord(str(obj, "spec", "stop")); stop && st.Health == plugins.HealthReady {
		// spec.stop scales every host to zero on purpose.
		st.Health = plugins.HealthDegraded
		st.Message = "stopped (spec.stop)"
	}
	return st
}

// boolWord reads the operator's string booleans ("yes", "on", "1", …).
func boolWord(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "yes", "on", "enable", "enabled":
		return true, true
	case "0", "false", "no", "off", "disable", "disabled":
		return false, true
	}
	return false, false
}

// clickhouseTemplate finds the template the defaults name in list, else
// the first one.
func clickhouseTemplate(obj map[string]any, list string, names ...string) map[string]any {
	templates := maps(obj, "spec", "templates", list)
	for _, want := range names {
		if want == "" {
			continue
		}
		for _, t := range templates {
			if str(t, "name") == want {
				return t
			}
		}
	}
	if len(templates) > 0 {
		return templates[0]
	}
	return nil
}

// clickhouseVersion: the tag of the clickhouse container's image in the
// default pod template.
func clickhouseVersion(obj map[string]any) string {
	t := clickhouseTemplate(obj, "podTemplates", str(obj, "spec", "defaults", "templates", "podTemplate"))
	containers := maps(t, "spec", "containers")
	for _, c := range containers {
		if str(c, "name") == "clickhouse" {
			return imageVersion(str(c, "image"))
		}
	}
	for _, c := range containers {
		if strings.Contains(str(c, "image"), "clickhouse") {
			return imageVersion(str(c, "image"))
		}
	}
	return ""
}

// clickhouseStorage: the request of the default data volume claim
// template.
func clickhouseStorage(obj map[string]any) string {
	t := clickhouseTemplate(obj, "volumeClaimTemplates",
		str(obj, "spec", "defaults", "templates", "dataVolumeClaimTemplate"),
		str(obj, "spec", "defaults", "templates", "volumeClaimTemplate"))
	return pvcStorage(mapAt(t, "spec"))
}
