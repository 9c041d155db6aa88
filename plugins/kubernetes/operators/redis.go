package operators

import (
	"fmt"

	"github.com/pont-dev/pont/plugins"
)

// OT-Container-Kit redis-operator (redis.redis.opstreelabs.in/v1beta2):
// Redis (standalone), RedisCluster, RedisReplication. The password
// Secret, when any, is spec.kubernetesConfig.redisSecret.name; the
// version is the tag of spec.kubernetesConfig.image.

// otCommon reads what the three kinds share.
func otCommon(obj map[string]any) plugins.DatabaseState {
	return plugins.DatabaseState{
		Engine:  "redis",
		Version: imageVersion(str(obj, "spec", "kubernetesConfig", "image")),
		Storage: pvcStorage(mapAt(obj, "spec", "storage", "volumeClaimTemplate", "spec")),
		Secrets: addName(nil, str(obj, "spec", "kubernetesConfig", "redisSecret", "name")),
	}
}

// normalizeOTRedis: RedisStatus is an empty struct in the operator, so
// the resource never says anything about its health.
func normalizeOTRedis(obj map[string]any) plugins.DatabaseState {
	st := otCommon(obj)
	st.DesiredInstances = intp(1) // standalone: one pod
	st.Services = addName(nil, name(obj))
	st.Health = plugins.HealthUnknown
	st.Message = "redis-operator reports no status for a standalone Redis; its StatefulSet's pods tell whether it runs"
	return st
}

// normalizeOTRedisCluster: leaders and followers (each defaulting to
// clusterSize), with status.state Initializing, Bootstrap, Ready or
// Failed and ready counts per role.
func normalizeOTRedisCluster(obj map[string]any) plugins.DatabaseState {
	n := name(obj)
	st := otCommon(obj)
	if st.Version == "" {
		st.Version = trimV(str(obj, "spec", "clusterVersion"))
	}
	if size, ok := integer(obj, "spec", "clusterSize"); ok {
		leaders := intOr(obj, size, "spec", "redisLeader", "replicas")
		followers := intOr(obj, size, "spec", "redisFollower", "replicas")
		st.DesiredInstances = intp(leaders + followers)
	}
	if n != "" {
		st.Services = []string{n + "-leader", n + "-follower"}
	}

	status := statusOf(obj)
	if status == nil {
		return unknown(st, noStatus)
	}
	st.ReadyInstances = intp(intOr(status, 0, "readyLeaderReplicas") + intOr(status, 0, "readyFollowerReplicas"))
	st.Phase = str(status, "state")
	st.Message = redact(str(status, "reason"))
	switch st.Phase {
	case "Ready":
		st.Health = plugins.HealthReady
		if st.DesiredInstances != nil && *st.ReadyInstances < *st.DesiredInstances {
			st.Health = plugins.HealthDegraded
			if st.Message == "" {
				st.Message = fmt.Sprintf("%d of %d pods ready", *st.ReadyInstances, *st.DesiredInstances)
			}
		}
	case "Initializing", "Bootstrap":
		st.Health = plugins.HealthProgressing
	case "Failed":
		st.Health = plugins.HealthFailed
	default:
		st.Health = plugins.HealthUnknown
	}
	return st
}

// normalizeOTRedisReplication: one master and replicas; the only status
// is the current master's pod and the connection details. A master
// elected is the sign it serves; the operator counts nothing.
func normalizeOTRedisReplication(obj map[string]any) plugins.DatabaseState {
	st := otCommon(obj)
	if size, ok := integer(obj, "spec", "clusterSize"); ok {
		st.DesiredInstances = intp(size)
	}
	st.Services = addName(nil, name(obj))

	status := statusOf(obj)
	if status == nil {
		return unknown(st, noStatus)
	}
	if host := str(status, "connectionInfo", "host"); host != "" {
		if port, ok := integer(status, "connectionInfo", "port"); ok && port > 0 {
			host = fmt.Sprintf("%s:%d", host, port)
		}
		st.Endpoint = cleanEndpoint(host)
	}
	if master := str(status, "masterNode"); master != "" {
		st.Health = plugins.HealthReady
		st.Message = "master: " + master
	} else {
		st.Health = plugins.HealthProgressing
		st.Message = "no master elected yet"
	}
	return st
}
