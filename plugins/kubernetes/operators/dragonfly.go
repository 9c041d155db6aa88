package operators

import (
	"strings"

	"github.com/pont-dev/pont/plugins"
)

// Dragonfly operator (dragonflydb.io/v1alpha1). status.phase is Ready,
// ResourcesCreated, RollingUpdate or Configuring in the controller, while
// the CRD still documents the older lower-case "ready",
// "resources-created", "configuring-replication": both are read, case and
// dashes ignored. spec.replicas counts the master too. Dragonfly keeps its
// data in memory: the only volume is for snapshots, and that is Storage.

func normalizeDragonfly(obj map[string]any) plugins.DatabaseState {
	n := name(obj)
	st := plugins.DatabaseState{
		Engine:  "dragonfly",
		Version: imageVersion(str(obj, "spec", "image")),
		Storage: pvcStorage(mapAt(obj, "spec", "snapshot", "persistentVolumeClaimSpec")),
		Secrets: addName(nil, str(obj, "spec", "authentication", "passwordFromSecret", "name")),
	}
	if r, ok := integer(obj, "spec", "replicas"); ok {
		st.DesiredInstances = intp(r)
	}
	if svc := str(obj, "spec", "serviceSpec", "name"); svc != "" {
		st.Services = []string{svc}
	} else if n != "" {
		st.Services = []string{n}
	}

	status := statusOf(obj)
	if status == nil {
		return unknown(st, noStatus)
	}
	st.Phase = str(status, "phase")
	phase := strings.ToLower(strings.NewReplacer("-", "", "_", "").Replace(st.Phase))
	switch phase {
	case "ready":
		st.Health = plugins.HealthReady
	case "resourcescreated", "rollingupdate", "configuring", "configuringreplication":
		st.Health = plugins.HealthProgressing
	default:
		st.Health = plugins.HealthUnknown
	}
	if isTrue(status, "isRollingUpdate") && st.Health != plugins.HealthProgressing {
		st.Health = plugins.HealthProgressing
		st.Message = "rolling update in progress"
	}
	return st
}
