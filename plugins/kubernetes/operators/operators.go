// Package operators normalizes the custom resources of database operators
// into one model, plugins.DatabaseState, so that Pont can show a
// CloudNativePG Cluster, a Percona XtraDB cluster and a KubeDB Redis side
// by side. One Kind per custom resource kind Pont knows (All lists the 20,
// in the order of the research file db-operators.yaml); each has a
// Normalize function, one file per operator family.
//
// # The normalized model
//
//   - Engine: the database engine (postgresql, mysql, mongodb, redis,
//     clickhouse, vitess, pgbouncer, dragonfly).
//   - Version: what the operator reports as running when it does (status),
//     else what the spec asks for: a version field, else the tag of the
//     image ("ghcr.io/cloudnative-pg/postgresql:16.4" → "16.4", digests
//     and a leading "v" dropped). "" when neither says.
//   - DesiredInstances / ReadyInstances: database pods, as the operator
//     counts them, summed over instance sets, replica sets or shards; nil
//     when the operator does not say. Routers, proxies, poolers and
//     arbiters are not counted: they hold no data.
//   - Storage: the requested size of the data volume, as written ("10Gi").
//     With several instance sets or replica sets, the first one's.
//   - Phase: the operator's own word, unchanged ("Cluster in healthy
//     state", "ready", "ONLINE"); "" for kinds that have none (Crunchy,
//     Vitess, OT redis' Redis and RedisReplication, CloudNativePG
//     Database), whose health is derived from counts or flags and
//     explained in Message.
//   - Message: the operator's reason or message, with credentials
//     redacted; for derived health, a short explanation.
//   - Services / Secrets: names (never contents) of the Services to
//     connect to and of the Secrets holding credentials, from the status
//     when the operator reports them, else from its documented naming
//     conventions.
//   - Endpoint: a host or URI the operator reports, with any userinfo and
//     credential-like query parameters removed.
//   - Parent: the resource this one belongs to (CloudNativePG Database and
//     Pooler name their Cluster).
//
// # Health
//
// Every operator's vocabulary maps onto five states:
//
//   - ready: the operator says the database serves and all its instances
//     are ready.
//   - progressing: the operator is working towards the spec (creating,
//     scaling, upgrading, switching over, catching up with a new
//     generation). It is expected to end by itself.
//   - degraded: the database serves, or could, but not as asked: fewer
//     ready instances than desired while the operator calls it healthy,
//     a partial quorum (ONLINE_PARTIAL, KubeDB Critical), a wait for a
//     human (CloudNativePG "Waiting for user action"), or a database
//     stopped on purpose (Percona "paused", KubeDB "Halted", a paused
//     Pooler, Crunchy spec.shutdown, ClickHouse spec.stop). A deliberate
//     stop is degraded rather than failed so that it shows, without
//     paging anyone; Phase keeps the operator's word so a UI can tell it
//     apart.
//   - failed: the operator says it cannot go on or the database does not
//     serve: error states, invalid definitions, lost quorum, split brain,
//     KubeDB NotReady (the database does not accept connections: KubeDB
//     uses Critical for "serving with replicas missing", so NotReady is
//     the worse, failed).
//   - unknown: nothing to go by. A resource without status (or with an
//     empty one) is unknown, not progressing: a resource just created and
//     one whose operator is not running look alike, and calling the
//     second "progressing" would hide it. The Message says so. OT redis'
//     standalone Redis never has a status, so it is always unknown (its
//     StatefulSet tells the truth). A phase the adapter does not know is
//     unknown too, with the phase kept verbatim.
//
// Normalize never fails and never panics on malformed content (a fuzz test
// feeds it arbitrary JSON): a field of the wrong type reads as missing.
package operators

import (
	"fmt"

	"github.com/pont-dev/pont/plugins"
)

// Kind is one operator custom resource kind Pont knows.
type Kind struct {
	Operator string   // "CloudNativePG"
	Group    string   // "postgresql.cnpg.io"
	Versions []string // served versions Pont can read, preferred first (Crunchy: v1beta1, v1; KubeDB: v1, v1alpha2)
	Kind     string   // "Cluster"
	Resource string   // plural: "clusters"
	Engine   string   // postgresql, mysql, mongodb, redis, clickhouse, vitess, pgbouncer, dragonfly
	// Normalize reads an object of this kind (unstructured content:
	// apiVersion, kind, metadata, spec, status) into the normalized state.
	// It never fails: unknown or missing fields give zero values /
	// HealthUnknown.
	Normalize func(obj map[string]any) plugins.DatabaseState
}

// adapter is the table entry behind a Kind: normalize is the raw adapter
// (the fuzz test calls it directly, so that a panic is seen), Kind wraps it.
type adapter struct {
	Kind
	normalize func(obj map[string]any) plugins.DatabaseState
}

// kinds is every kind, in the order of db-operators.yaml.
var kinds = []adapter{
	{Kind{Operator: "CloudNativePG", Group: "postgresql.cnpg.io", Versions: []string{"v1"}, Kind: "Cluster", Resource: "clusters", Engine: "postgresql"}, normalizeCNPGCluster},
	{Kind{Operator: "CloudNativePG", Group: "postgresql.cnpg.io", Versions: []string{"v1"}, Kind: "Database", Resource: "databases", Engine: "postgresql"}, normalizeCNPGDatabase},
	{Kind{Operator: "CloudNativePG", Group: "postgresql.cnpg.io", Versions: []string{"v1"}, Kind: "Pooler", Resource: "poolers", Engine: "pgbouncer"}, normalizeCNPGPooler},
	{Kind{Operator: "Zalando postgres-operator", Group: "acid.zalan.do", Versions: []string{"v1"}, Kind: "postgresql", Resource: "postgresqls", Engine: "postgresql"}, normalizeZalando},
	{Kind{Operator: "Crunchy PGO", Group: "postgres-operator.crunchydata.com", Versions: []string{"v1beta1", "v1"}, Kind: "PostgresCluster", Resource: "postgresclusters", Engine: "postgresql"}, normalizeCrunchy},
	{Kind{Operator: "MongoDB Community operator", Group: "mongodbcommunity.mongodb.com", Versions: []string{"v1"}, Kind: "MongoDBCommunity", Resource: "mongodbcommunity", Engine: "mongodb"}, normalizeMongoDBCommunity},
	{Kind{Operator: "Percona Operator for MongoDB", Group: "psmdb.percona.com", Versions: []string{"v1"}, Kind: "PerconaServerMongoDB", Resource: "perconaservermongodbs", Engine: "mongodb"}, normalizePSMDB},
	{Kind{Operator: "Percona Operator for MySQL (PXC)", Group: "pxc.percona.com", Versions: []string{"v1"}, Kind: "PerconaXtraDBCluster", Resource: "perconaxtradbclusters", Engine: "mysql"}, normalizePXC},
	{Kind{Operator: "Percona Operator for PostgreSQL", Group: "pgv2.percona.com", Versions: []string{"v2"}, Kind: "PerconaPGCluster", Resource: "perconapgclusters", Engine: "postgresql"}, normalizePerconaPG},
	{Kind{Operator: "Oracle MySQL Operator", Group: "mysql.oracle.com", Versions: []string{"v2"}, Kind: "InnoDBCluster", Resource: "innodbclusters", Engine: "mysql"}, normalizeInnoDBCluster},
	{Kind{Operator: "Vitess operator (PlanetScale)", Group: "planetscale.com", Versions: []string{"v2"}, Kind: "VitessCluster", Resource: "vitessclusters", Engine: "vitess"}, normalizeVitess},
	{Kind{Operator: "Altinity ClickHouse operator", Group: "clickhouse.altinity.com", Versions: []string{"v1"}, Kind: "ClickHouseInstallation", Resource: "clickhouseinstallations", Engine: "clickhouse"}, normalizeClickHouse},
	{Kind{Operator: "OT-Container-Kit redis-operator", Group: "redis.redis.opstreelabs.in", Versions: []string{"v1beta2"}, Kind: "RedisCluster", Resource: "redisclusters", Engine: "redis"}, normalizeOTRedisCluster},
	{Kind{Operator: "OT-Container-Kit redis-operator", Group: "redis.redis.opstreelabs.in", Versions: []string{"v1beta2"}, Kind: "Redis", Resource: "redis", Engine: "redis"}, normalizeOTRedis},
	{Kind{Operator: "OT-Container-Kit redis-operator", Group: "redis.redis.opstreelabs.in", Versions: []string{"v1beta2"}, Kind: "RedisReplication", Resource: "redisreplications", Engine: "redis"}, normalizeOTRedisReplication},
	{Kind{Operator: "Dragonfly operator", Group: "dragonflydb.io", Versions: []string{"v1alpha1"}, Kind: "Dragonfly", Resource: "dragonflies", Engine: "dragonfly"}, normalizeDragonfly},
	{Kind{Operator: "KubeDB", Group: "kubedb.com", Versions: []string{"v1", "v1alpha2"}, Kind: "Postgres", Resource: "postgreses", Engine: "postgresql"}, normalizeKubeDBPostgres},
	{Kind{Operator: "KubeDB", Group: "kubedb.com", Versions: []string{"v1", "v1alpha2"}, Kind: "MySQL", Resource: "mysqls", Engine: "mysql"}, normalizeKubeDBMySQL},
	{Kind{Operator: "KubeDB", Group: "kubedb.com", Versions: []string{"v1", "v1alpha2"}, Kind: "MongoDB", Resource: "mongodbs", Engine: "mongodb"}, normalizeKubeDBMongoDB},
	{Kind{Operator: "KubeDB", Group: "kubedb.com", Versions: []string{"v1", "v1alpha2"}, Kind: "Redis", Resource: "redises", Engine: "redis"}, normalizeKubeDBRedis},
}

// All returns the kinds Pont knows, in the order of db-operators.yaml.
// The slice and its Versions are fresh copies: callers may change them.
func All() []Kind {
	out := make([]Kind, len(kinds))
	for i, a := range kinds {
		out[i] = a.public()
	}
	return out
}

// Lookup finds a kind by API group and plural resource name
// ("postgresql.cnpg.io", "clusters").
func Lookup(group, resource string) (Kind, bool) {
	for _, a := range kinds {
		if a.Group == group && a.Resource == resource {
			return a.public(), true
		}
	}
	return Kind{}, false
}

// public is the Kind callers get: a copy, with the guarded Normalize.
func (a adapter) public() Kind {
	k := a.Kind
	k.Versions = append([]string(nil), a.Versions...)
	k.Normalize = guard(a.Kind, a.normalize)
	return k
}

// guard makes an adapter total: the adapters are written not to panic
// (and fuzzed), but Normalize runs in an informer's transform, where a
// panic would stop the watch of a whole cluster; one bad object must cost
// only its own state. Engine is always set: it is known from the kind.
func guard(k Kind, f func(map[string]any) plugins.DatabaseState) func(map[string]any) plugins.DatabaseState {
	return func(obj map[string]any) (st plugins.DatabaseState) {
		defer func() {
			if r := recover(); r != nil {
				st = plugins.DatabaseState{
					Engine:  k.Engine,
					Health:  plugins.HealthUnknown,
					Message: fmt.Sprintf("Pont could not read this %s", k.Kind),
				}
			}
		}()
		st = f(obj)
		if st.Engine == "" {
			st.Engine = k.Engine
		}
		if st.Health == "" {
			st.Health = plugins.HealthUnknown
		}
		return st
	}
}
