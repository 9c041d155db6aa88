package operators

import (
	"fmt"
	"strings"

	"github.com/pont-dev/pont/plugins"
)

// Vitess operator (planetscale.com/v2, VitessCluster). No phase and no
// conditions on the cluster: health comes from the per-keyspace counts in
// status.keyspaces{} (readyShards vs desiredShards, readyTablets vs
// desiredTablets) and the per-cell gatewayAvailable. Clients connect to
// the cluster-wide vtgate Service the status names (its name is hashed, so
// it is read, never guessed).

func normalizeVitess(obj map[string]any) plugins.DatabaseState {
	st := plugins.DatabaseState{Engine: "vitess"}
	// The Vitess release, from the vtgate (else vttablet, vtctld) image.
	for _, c := range []string{"vtgate", "vttablet", "vtctld"} {
		if v := imageVersion(str(obj, "spec", "images", c)); v != "" {
			st.Version = v
			break
		}
	}
	st.DesiredInstances, st.Storage = vitessTablets(obj)
	for _, cell := range maps(obj, "spec", "cells") {
		st.Secrets = addName(st.Secrets, str(cell, "gateway", "authentication", "static", "secret", "name"))
	}

	status := statusOf(obj)
	if status == nil {
		return unknown(st, noStatus)
	}
	if gw := str(status, "gatewayServiceName"); gw != "" {
		st.Services = []string{gw}
		st.Endpoint = cleanEndpoint(gw)
	}
	var desiredShards, readyShards, desiredTablets, readyTablets int
	var pending []string
	keyspaces := sortedKeys(status, "keyspaces")
	for _, ks := range keyspaces {
		k := mapAt(status, "keyspaces", ks)
		desiredShards += intOr(k, 0, "desiredShards")
		readyShards += intOr(k, 0, "readyShards")
		desiredTablets += intOr(k, 0, "desiredTablets")
		readyTablets += intOr(k, 0, "readyTablets")
		if str(k, "pendingChanges") != "" {
			pending = append(pending, ks)
		}
	}
	st.ReadyInstances = intp(readyTablets)
	var noGateway []string
	for _, c := range sortedKeys(status, "cells") {
		if str(status, "cells", c, "gatewayAvailable") == "False" {
			noGateway = append(noGateway, c)
		}
	}
	counts := fmt.Sprintf("%d of %d shards ready, %d of %d tablets ready", readyShards, desiredShards, readyTablets, desiredTablets)
	st.Message = counts
	switch {
	case stale(obj, "status", "observedGeneration"):
		st.Health = plugins.HealthProgressing
	case len(keyspaces) == 0:
		// No keyspace reported yet (or none defined): nothing to judge.
		st.Health = plugins.HealthProgressing
		if len(maps(obj, "spec", "keyspaces")) == 0 {
			st.Health = plugins.HealthUnknown
			st.Message = "no keyspaces"
		}
	case readyShards >= desiredShards && readyTablets >= desiredTablets && len(noGateway) == 0:
		st.Health = plugins.HealthReady
		st.Message = ""
	case readyShards == 0:
		st.Health = plugins.HealthProgressing
	default:
		st.Health = plugins.HealthDegraded
	}
	if len(noGateway) > 0 {
		st.Message += "; vtgate unavailable in cell " + strings.Join(noGateway, ", ")
	}
	if len(pending) > 0 {
		st.Message += "; changes pending in keyspace " + strings.Join(pending, ", ")
	}
	return st
}

// vitessTablets counts the tablets the spec asks for: per keyspace and
// partitioning, shards (equal.parts, or the custom shards) times the
// replicas of each tablet pool. During a resharding both partitionings
// run, so both count. Storage is the first pool's data volume request.
func vitessTablets(obj map[string]any) (*int, string) {
	var total *int
	storage := ""
	pools := func(shard map[string]any) int {
		n := 0
		for _, p := range maps(shard, "tabletPools") {
			n += intOr(p, 0, "replicas")
			if storage == "" {
				storage = pvcStorage(mapAt(p, "dataVolumeClaimTemplate"))
			}
		}
		return n
	}
	for _, ks := range maps(obj, "spec", "keyspaces") {
		for _, part := range maps(ks, "partitionings") {
			if eq := mapAt(part, "equal"); eq != nil {
				total = sumOpt(total, intp(intOr(eq, 0, "parts")*pools(mapAt(eq, "shardTemplate"))))
			}
			for _, sh := range maps(part, "custom", "shards") {
				total = sumOpt(total, intp(pools(sh)))
			}
		}
	}
	return total, storage
}
