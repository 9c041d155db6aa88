package operators

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/pont-dev/pont/internal/testutil/kubetest"
	"github.com/pont-dev/pont/plugins"
)

// The test objects live in testdata/<group>_<plural>.yaml, one document
// per case, named by metadata.name. They are valid against the published
// CRDs (another test creates them on a real API server), so they stay
// plain: name, namespace team-a-dev, labels.

// loadObjects reads a testdata file the way an informer sees objects.
func loadObjects(t testing.TB, group, resource string) []map[string]any {
	t.Helper()
	return kubetest.ReadObjects(t, filepath.Join("testdata", group+"_"+resource+".yaml"))
}

// kindOf finds the Kind under test, wrapped as All returns it.
func kindOf(t testing.TB, group, resource string) Kind {
	t.Helper()
	k, ok := Lookup(group, resource)
	if !ok {
		t.Fatalf("no kind %s/%s", group, resource)
	}
	return k
}

// stateCase is the expected state of the testdata object named name.
type stateCase struct {
	name string
	want plugins.DatabaseState
}

// runCases normalizes every object of a testdata file and compares the
// full state with its case; every object needs a case and every case an
// object.
func runCases(t *testing.T, group, resource string, cases []stateCase) {
	t.Helper()
	k := kindOf(t, group, resource)
	objs := map[string]map[string]any{}
	for _, o := range loadObjects(t, group, resource) {
		if str(o, "kind") != k.Kind {
			t.Errorf("%s: kind %q, want %q", name(o), str(o, "kind"), k.Kind)
		}
		if !strings.HasPrefix(str(o, "apiVersion"), k.Group+"/") {
			t.Errorf("%s: apiVersion %q not in group %s", name(o), str(o, "apiVersion"), k.Group)
		}
		objs[name(o)] = o
	}
	seen := map[string]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			seen[c.name] = true
			obj, ok := objs[c.name]
			if !ok {
				t.Fatalf("no object %q in testdata", c.name)
			}
			got := k.Normalize(obj)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("state differs\n got: %s\nwant: %s", dump(got), dump(c.want))
			}
		})
	}
	for n := range objs {
		if !seen[n] {
			t.Errorf("object %q in testdata has no case", n)
		}
	}
}

func dump(s plugins.DatabaseState) string {
	b, _ := json.MarshalIndent(s, "", "  ")
	return string(b)
}

func n(i int) *int { return &i }

func TestNormalizeCNPGCluster(t *testing.T) {
	runCases(t, "postgresql.cnpg.io", "clusters", []stateCase{
		{"orders-ready", plugins.DatabaseState{
			Engine: "postgresql", Version: "16.4", DesiredInstances: n(3), ReadyInstances: n(3), Storage: "10Gi",
			Health: plugins.HealthReady, Phase: "Cluster in healthy state",
			Services: []string{"orders-ready-rw", "orders-ready-ro", "orders-ready-r"},
			Secrets:  []string{"orders-ready-app"},
		}},
		{"orders-scaling", plugins.DatabaseState{
			Engine: "postgresql", Version: "16.4", DesiredInstances: n(3), ReadyInstances: n(2), Storage: "20Gi",
			Health: plugins.HealthProgressing, Phase: "Creating a new replica", Message: "Creating replica orders-scaling-3-join",
			Services: []string{"orders-scaling-rw", "orders-scaling-ro", "orders-scaling-r"},
			Secrets:  []string{"orders-scaling-app"},
		}},
		{"orders-degraded", plugins.DatabaseState{
			Engine: "postgresql", Version: "15.8-bookworm", DesiredInstances: n(3), ReadyInstances: n(2), Storage: "50Gi",
			Health: plugins.HealthDegraded, Phase: "Cluster in healthy state", Message: "2 of 3 instances ready",
			Services: []string{"orders-degraded-rw"},
			Secrets:  []string{"orders-degraded-app"},
		}},
		{"orders-failed", plugins.DatabaseState{
			Engine: "postgresql", Version: "17.2", DesiredInstances: n(2), ReadyInstances: n(0), Storage: "5Gi",
			Health: plugins.HealthFailed, Phase: "Cluster is unrecoverable and needs manual intervention",
			Message:  "PVC orders-failed-1 is missing; failed to connect to postgresql://orders-failed-rw:5432/app",
			Services: []string{"orders-failed-rw", "orders-failed-ro", "orders-failed-r"},
			Secrets:  []string{"orders-app-credentials", "orders-failed-superuser"},
		}},
		{"orders-waiting", plugins.DatabaseState{
			Engine: "postgresql", Version: "16.6", DesiredInstances: n(3), ReadyInstances: n(3), Storage: "10Gi",
			Health: plugins.HealthDegraded, Phase: "Waiting for user action", Message: "User must issue a supervised switchover",
			Services: []string{"orders-waiting-rw", "orders-waiting-ro", "orders-waiting-lb"},
			Secrets:  []string{"orders-waiting-app", "orders-postgres"},
		}},
		{"orders-new", plugins.DatabaseState{
			Engine: "postgresql", Version: "17", DesiredInstances: n(1), Storage: "8Gi",
			Health: plugins.HealthUnknown, Message: noStatus,
			Services: []string{"orders-new-rw", "orders-new-ro", "orders-new-r"},
			Secrets:  []string{"orders-restored-app"},
		}},
	})
}

func TestNormalizeCNPGDatabase(t *testing.T) {
	runCases(t, "postgresql.cnpg.io", "databases", []stateCase{
		{"orders-db-applied", plugins.DatabaseState{Engine: "postgresql", Health: plugins.HealthReady, Parent: "orders-ready"}},
		{"orders-db-pending", plugins.DatabaseState{Engine: "postgresql", Health: plugins.HealthProgressing, Parent: "orders-scaling"}},
		{"orders-db-failed", plugins.DatabaseState{
			Engine: "postgresql", Health: plugins.HealthFailed, Parent: "orders-missing",
			Message: `while reconciling database: role "billing" does not exist`,
		}},
		{"orders-db-dropping", plugins.DatabaseState{
			Engine: "postgresql", Health: plugins.HealthReady, Parent: "orders-ready",
			Message: "ensure: absent (the database is to be dropped)",
		}},
		{"orders-db-new", plugins.DatabaseState{Engine: "postgresql", Health: plugins.HealthUnknown, Message: noStatus, Parent: "orders-new"}},
	})
}

func TestNormalizeCNPGPooler(t *testing.T) {
	runCases(t, "postgresql.cnpg.io", "poolers", []stateCase{
		{"orders-pooler-rw", plugins.DatabaseState{
			Engine: "pgbouncer", Version: "1.24.1", DesiredInstances: n(2),
			Health: plugins.HealthReady, Phase: "active",
			Services: []string{"orders-pooler-rw"}, Parent: "orders-ready",
		}},
		{"orders-pooler-paused", plugins.DatabaseState{
			Engine: "pgbouncer", Version: "1.24.0", DesiredInstances: n(1),
			Health: plugins.HealthDegraded, Phase: "paused", Message: "PgBouncer is paused by spec.pgbouncer.paused",
			Services: []string{"orders-pooler-paused"}, Parent: "orders-ready",
		}},
		{"orders-pooler-inactive", plugins.DatabaseState{
			Engine: "pgbouncer", DesiredInstances: n(3),
			Health: plugins.HealthDegraded, Phase: "inactive", Message: "Cluster orders-new is not ready yet",
			Services: []string{"orders-pooler-inactive"}, Parent: "orders-new",
		}},
		{"orders-pooler-failed", plugins.DatabaseState{
			Engine: "pgbouncer", DesiredInstances: n(2),
			Health: plugins.HealthFailed, Phase: "failed", Message: "image catalog pgbouncer has no entry for key pgbouncer-1-24",
			Services: []string{"orders-pooler-failed"}, Parent: "orders-ready",
		}},
		{"orders-pooler-old", plugins.DatabaseState{
			Engine: "pgbouncer", DesiredInstances: n(1),
			Health: plugins.HealthUnknown, Message: "the operator reports no phase for this Pooler",
			Services: []string{"orders-pooler-old"}, Parent: "orders-ready",
		}},
		{"orders-pooler-new", plugins.DatabaseState{
			Engine: "pgbouncer", DesiredInstances: n(1),
			Health: plugins.HealthUnknown, Message: noStatus,
			Services: []string{"orders-pooler-new"}, Parent: "orders-new",
		}},
	})
}

func TestNormalizeZalando(t *testing.T) {
	const sfx = ".credentials.postgresql.acid.zalan.do"
	runCases(t, "acid.zalan.do", "postgresqls", []stateCase{
		{"acid-orders", plugins.DatabaseState{
			Engine: "postgresql", Version: "17", DesiredInstances: n(2), Storage: "10Gi",
			Health: plugins.HealthReady, Phase: "Running",
			Services: []string{"acid-orders", "acid-orders-repl", "acid-orders-pooler"},
			Secrets:  []string{"orders-app.acid-orders" + sfx, "orders-owner.acid-orders" + sfx},
		}},
		{"acid-creating", plugins.DatabaseState{
			Engine: "postgresql", Version: "16", DesiredInstances: n(1), Storage: "1Gi",
			Health: plugins.HealthProgressing, Phase: "Creating",
			Services: []string{"acid-creating", "acid-creating-repl"},
		}},
		{"acid-updating", plugins.DatabaseState{
			Engine: "postgresql", Version: "16", DesiredInstances: n(3), Storage: "20Gi",
			Health: plugins.HealthProgressing, Phase: "Updating",
			Services: []string{"acid-updating", "acid-updating-repl", "acid-updating-pooler-repl"},
			Secrets:  []string{"reporting.acid-updating" + sfx},
		}},
		{"acid-syncfailed", plugins.DatabaseState{
			Engine: "postgresql", Version: "15", DesiredInstances: n(2), Storage: "5Gi",
			Health: plugins.HealthFailed, Phase: "SyncFailed",
			Services: []string{"acid-syncfailed", "acid-syncfailed-repl"},
		}},
		{"acid-invalid", plugins.DatabaseState{
			Engine: "postgresql", Version: "18", DesiredInstances: n(0), Storage: "500Mi",
			Health: plugins.HealthFailed, Phase: "Invalid",
			Services: []string{"acid-invalid", "acid-invalid-repl"},
		}},
		{"acid-new", plugins.DatabaseState{
			Engine: "postgresql", Version: "17", DesiredInstances: n(2), Storage: "10Gi",
			Health: plugins.HealthUnknown, Message: noStatus,
			Services: []string{"acid-new", "acid-new-repl"},
		}},
	})
}

func TestNormalizeCrunchy(t *testing.T) {
	runCases(t, "postgres-operator.crunchydata.com", "postgresclusters", []stateCase{
		{"hippo", plugins.DatabaseState{
			Engine: "postgresql", Version: "16", DesiredInstances: n(3), ReadyInstances: n(3), Storage: "1Gi",
			Health:   plugins.HealthReady,
			Services: []string{"hippo-primary", "hippo-replicas", "hippo-pgbouncer"},
			Secrets:  []string{"hippo-pguser-hippo", "hippo-pguser-rhino"},
		}},
		{"hippo-rolling", plugins.DatabaseState{
			Engine: "postgresql", Version: "16", DesiredInstances: n(3), ReadyInstances: n(2), Storage: "10Gi",
			Health: plugins.HealthProgressing, Message: "2 of 3 instances ready",
			Services: []string{"hippo-rolling-primary", "hippo-rolling-replicas"},
			Secrets:  []string{"hippo-rolling-pguser-hippo-rolling"},
		}},
		{"hippo-degraded", plugins.DatabaseState{
			Engine: "postgresql", Version: "16", DesiredInstances: n(3), ReadyInstances: n(2), Storage: "10Gi",
			Health: plugins.HealthDegraded, Message: "2 of 3 instances ready",
			Services: []string{"hippo-degraded-primary", "hippo-degraded-replicas"},
			Secrets:  []string{"hippo-degraded-pguser-hippo-degraded"},
		}},
		{"hippo-resize-failed", plugins.DatabaseState{
			Engine: "postgresql", Version: "15", DesiredInstances: n(1), ReadyInstances: n(1), Storage: "100Gi",
			Health: plugins.HealthDegraded, Message: `volume resize failed: storageclass "standard" does not support volume expansion`,
			Services: []string{"hippo-resize-failed-primary", "hippo-resize-failed-replicas"},
			Secrets:  []string{"hippo-resize-failed-pguser-hippo-resize-failed"},
		}},
		{"hippo-shutdown", plugins.DatabaseState{
			Engine: "postgresql", Version: "16", DesiredInstances: n(2), ReadyInstances: n(0), Storage: "5Gi",
			Health: plugins.HealthDegraded, Message: "spec.shutdown is set: the instances are stopped",
			Services: []string{"hippo-shutdown-primary", "hippo-shutdown-replicas"},
			Secrets:  []string{"hippo-shutdown-pguser-hippo-shutdown"},
		}},
		{"hippo-new", plugins.DatabaseState{
			Engine: "postgresql", Version: "17", DesiredInstances: n(1), Storage: "1Gi",
			Health: plugins.HealthUnknown, Message: noStatus,
			Services: []string{"hippo-new-primary", "hippo-new-replicas"},
			Secrets:  []string{"hippo-new-pguser-hippo-new"},
		}},
	})
}

func TestNormalizeMongoDBCommunity(t *testing.T) {
	runCases(t, "mongodbcommunity.mongodb.com", "mongodbcommunity", []stateCase{
		{"catalog-mongo", plugins.DatabaseState{
			Engine: "mongodb", Version: "7.0.12", DesiredInstances: n(3), Storage: "40Gi",
			Health: plugins.HealthReady, Phase: "Running",
			Services: []string{"catalog-mongo-svc"},
			Secrets:  []string{"catalog-mongo-catalog-catalog", "catalog-mongo-ops"},
			Endpoint: "mongodb://catalog-mongo-0.catalog-mongo-svc.team-a-dev.svc.cluster.local:27017,catalog-mongo-1.catalog-mongo-svc.team-a-dev.svc.cluster.local:27017,catalog-mongo-2.catalog-mongo-svc.team-a-dev.svc.cluster.local:27017/?replicaSet=catalog-mongo",
		}},
		{"catalog-pending", plugins.DatabaseState{
			Engine: "mongodb", Version: "7.0.12", DesiredInstances: n(3), Storage: "10G",
			Health: plugins.HealthProgressing, Phase: "Pending", Message: "ReplicaSet is not yet ready, retrying in 10 seconds",
			Services: []string{"catalog-pending-svc"},
			Secrets:  []string{"catalog-pending-app-app"},
			Endpoint: "mongodb+srv://catalog-pending-svc.team-a-dev.svc.cluster.local/admin?ssl=false&authSource=admin",
		}},
		{"catalog-failed", plugins.DatabaseState{
			Engine: "mongodb", Version: "6.0.19", DesiredInstances: n(1), Storage: "10G",
			Health: plugins.HealthFailed, Phase: "Failed",
			Message:  `error creating automation config secret: secrets "catalog-failed-config" is forbidden`,
			Services: []string{"catalog-db"},
		}},
		{"catalog-new", plugins.DatabaseState{
			Engine: "mongodb", Version: "7.0.12", DesiredInstances: n(3), Storage: "10G",
			Health: plugins.HealthUnknown, Message: noStatus,
			Services: []string{"catalog-new-svc"},
			Secrets:  []string{"catalog-new-admin-reader", "catalog-new-admin-ops-admin"},
		}},
	})
}

func TestNormalizePSMDB(t *testing.T) {
	runCases(t, "psmdb.percona.com", "perconaservermongodbs", []stateCase{
		{"events-psmdb", plugins.DatabaseState{
			Engine: "mongodb", Version: "7.0.18-11", DesiredInstances: n(3), ReadyInstances: n(3), Storage: "3Gi",
			Health: plugins.HealthReady, Phase: "ready",
			Services: []string{"events-psmdb-rs0"}, Secrets: []string{"events-psmdb-users"},
			Endpoint: "events-psmdb-rs0.team-a-dev.svc.cluster.local",
		}},
		{"events-sharded", plugins.DatabaseState{
			Engine: "mongodb", Version: "8.0.8-3", DesiredInstances: n(9), ReadyInstances: n(7), Storage: "10Gi",
			Health: plugins.HealthProgressing, Phase: "initializing", Message: "rs1: ready 1 of 3",
			Services: []string{"events-sharded-mongos", "events-sharded-rs0", "events-sharded-rs1"},
			Secrets:  []string{"events-sharded-secrets"},
			Endpoint: "events-sharded-mongos.team-a-dev.svc.cluster.local",
		}},
		{"events-paused", plugins.DatabaseState{
			Engine: "mongodb", Version: "7.0.18-11", DesiredInstances: n(3), ReadyInstances: n(0), Storage: "3Gi",
			Health: plugins.HealthDegraded, Phase: "paused", Message: "paused on purpose (spec.pause)",
			Services: []string{"events-paused-rs0"}, Secrets: []string{"events-paused-secrets"},
			Endpoint: "events-paused-rs0.team-a-dev.svc.cluster.local",
		}},
		{"events-error", plugins.DatabaseState{
			Engine: "mongodb", Version: "7.0.18-11", DesiredInstances: n(3), ReadyInstances: n(0), Storage: "3Gi",
			Health: plugins.HealthFailed, Phase: "error",
			Message:  "replset rs0: failed to init: dial mongodb://events-error-rs0-0:27017: connection refused",
			Services: []string{"events-error-rs0"}, Secrets: []string{"events-error-secrets"},
			Endpoint: "mongodb://events-error-rs0.team-a-dev.svc.cluster.local",
		}},
		{"events-new", plugins.DatabaseState{
			Engine: "mongodb", Version: "7.0.18-11", DesiredInstances: n(3), Storage: "3Gi",
			Health: plugins.HealthUnknown, Message: noStatus,
			Services: []string{"events-new-rs0"}, Secrets: []string{"events-new-secrets"},
		}},
	})
}

func TestNormalizePXC(t *testing.T) {
	runCases(t, "pxc.percona.com", "perconaxtradbclusters", []stateCase{
		{"ledger-pxc", plugins.DatabaseState{
			Engine: "mysql", Version: "8.0.42-33.1", DesiredInstances: n(3), ReadyInstances: n(3), Storage: "6G",
			Health: plugins.HealthReady, Phase: "ready",
			Services: []string{"ledger-pxc-haproxy", "ledger-pxc-haproxy-replicas", "ledger-pxc-pxc"},
			Secrets:  []string{"ledger-pxc-users"},
			Endpoint: "ledger-pxc-haproxy.team-a-dev",
		}},
		{"ledger-init", plugins.DatabaseState{
			Engine: "mysql", Version: "8.4.5-5.1", DesiredInstances: n(3), ReadyInstances: n(1), Storage: "20Gi",
			Health: plugins.HealthProgressing, Phase: "initializing",
			Services: []string{"ledger-init-proxysql", "ledger-init-pxc"},
			Secrets:  []string{"ledger-init-secrets"},
			Endpoint: "ledger-init-proxysql.team-a-dev",
		}},
		{"ledger-degraded", plugins.DatabaseState{
			Engine: "mysql", Version: "8.0.42-33.1", DesiredInstances: n(3), ReadyInstances: n(2), Storage: "6G",
			Health: plugins.HealthDegraded, Phase: "ready", Message: "2 of 3 PXC pods ready",
			Services: []string{"ledger-degraded-pxc"},
			Secrets:  []string{"ledger-degraded-secrets"},
			Endpoint: "ledger-degraded-pxc.team-a-dev",
		}},
		{"ledger-error", plugins.DatabaseState{
			Engine: "mysql", Version: "8.0.42-33.1", DesiredInstances: n(3), ReadyInstances: n(0), Storage: "6G",
			Health: plugins.HealthFailed, Phase: "error",
			Message:  "PXC: pxc: back-off 5m0s restarting failed container=pxc pod=ledger-error-pxc-0; HAProxy: haproxy: container is not ready",
			Services: []string{"ledger-error-haproxy", "ledger-error-haproxy-replicas", "ledger-error-pxc"},
			Secrets:  []string{"ledger-error-secrets"},
		}},
		{"ledger-new", plugins.DatabaseState{
			Engine: "mysql", Version: "8.0.42-33.1", DesiredInstances: n(1), Storage: "6G",
			Health: plugins.HealthUnknown, Message: noStatus,
			Services: []string{"ledger-new-pxc"},
			Secrets:  []string{"ledger-new-secrets"},
		}},
	})
}

func TestNormalizePerconaPG(t *testing.T) {
	runCases(t, "pgv2.percona.com", "perconapgclusters", []stateCase{
		{"billing-pg", plugins.DatabaseState{
			Engine: "postgresql", Version: "17", DesiredInstances: n(3), ReadyInstances: n(3), Storage: "1Gi",
			Health: plugins.HealthReady, Phase: "ready",
			Services: []string{"billing-pg-primary", "billing-pg-replicas", "billing-pg-pgbouncer"},
			Secrets:  []string{"billing-pg-pguser-billing", "billing-reporting-credentials"},
			Endpoint: "billing-pg-pgbouncer.team-a-dev.svc",
		}},
		{"billing-init", plugins.DatabaseState{
			Engine: "postgresql", Version: "16", DesiredInstances: n(3), ReadyInstances: n(1), Storage: "5Gi",
			Health: plugins.HealthProgressing, Phase: "initializing",
			Services: []string{"billing-init-primary", "billing-init-replicas"},
			Secrets:  []string{"billing-init-pguser-billing-init"},
			Endpoint: "billing-init-primary.team-a-dev.svc",
		}},
		{"billing-paused", plugins.DatabaseState{
			Engine: "postgresql", Version: "16", DesiredInstances: n(3), ReadyInstances: n(0), Storage: "5Gi",
			Health: plugins.HealthDegraded, Phase: "paused", Message: "paused on purpose (spec.pause)",
			Services: []string{"billing-paused-primary", "billing-paused-replicas"},
			Secrets:  []string{"billing-paused-pguser-billing-paused"},
		}},
		{"billing-new", plugins.DatabaseState{
			Engine: "postgresql", Version: "17", DesiredInstances: n(1), Storage: "2Gi",
			Health: plugins.HealthUnknown, Message: noStatus,
			Services: []string{"billing-new-primary", "billing-new-replicas"},
			Secrets:  []string{"billing-new-pguser-billing-new"},
		}},
	})
}

func TestNormalizeInnoDBCluster(t *testing.T) {
	svc := func(n string) []string { return []string{n, n + "-instances"} }
	runCases(t, "mysql.oracle.com", "innodbclusters", []stateCase{
		{"shop-mysql", plugins.DatabaseState{
			Engine: "mysql", Version: "9.1.0", DesiredInstances: n(3), ReadyInstances: n(3), Storage: "40Gi",
			Health: plugins.HealthReady, Phase: "ONLINE",
			Services: svc("shop-mysql"), Secrets: []string{"shop-mysql-root"},
		}},
		{"shop-partial", plugins.DatabaseState{
			Engine: "mysql", Version: "8.4.3", DesiredInstances: n(3), ReadyInstances: n(2),
			Health: plugins.HealthDegraded, Phase: "ONLINE_PARTIAL", Message: "2 of 3 instances online",
			Services: svc("shop-partial"), Secrets: []string{"shop-partial-root"},
		}},
		{"shop-init", plugins.DatabaseState{
			Engine: "mysql", DesiredInstances: n(3), ReadyInstances: n(0),
			Health: plugins.HealthProgressing, Phase: "INITIALIZING", Message: "0 of 3 instances online",
			Services: svc("shop-init"), Secrets: []string{"shop-init-root"},
		}},
		{"shop-noquorum", plugins.DatabaseState{
			Engine: "mysql", Version: "9.1.0", DesiredInstances: n(3), ReadyInstances: n(1),
			Health: plugins.HealthFailed, Phase: "NO_QUORUM", Message: "1 of 3 instances online",
			Services: svc("shop-noquorum"), Secrets: []string{"shop-noquorum-root"},
		}},
		{"shop-splitbrain", plugins.DatabaseState{
			Engine: "mysql", Version: "9.1.0", DesiredInstances: n(5), ReadyInstances: n(4),
			Health: plugins.HealthFailed, Phase: "SPLIT_BRAIN", Message: "4 of 5 instances online",
			Services: svc("shop-splitbrain"), Secrets: []string{"shop-splitbrain-root"},
		}},
		{"shop-new", plugins.DatabaseState{
			Engine: "mysql", Version: "9.1.0", DesiredInstances: n(1),
			Health: plugins.HealthUnknown, Message: noStatus,
			Services: svc("shop-new"), Secrets: []string{"shop-new-root"},
		}},
	})
}

func TestNormalizeVitess(t *testing.T) {
	runCases(t, "planetscale.com", "vitessclusters", []stateCase{
		{"commerce", plugins.DatabaseState{
			Engine: "vitess", Version: "21.0.2", DesiredInstances: n(6), ReadyInstances: n(6), Storage: "10Gi",
			Health:   plugins.HealthReady,
			Services: []string{"commerce-zone1-vtgate-625ee430"}, Secrets: []string{"commerce-vtgate-users"},
			Endpoint: "commerce-zone1-vtgate-625ee430",
		}},
		{"commerce-starting", plugins.DatabaseState{
			Engine: "vitess", Version: "21.0.2", DesiredInstances: n(5), ReadyInstances: n(0), Storage: "5Gi",
			Health:   plugins.HealthProgressing,
			Message:  "0 of 2 shards ready, 0 of 5 tablets ready; vtgate unavailable in cell zone1",
			Services: []string{"commerce-starting-zone1-vtgate-8a1b2c3d"},
			Endpoint: "commerce-starting-zone1-vtgate-8a1b2c3d",
		}},
		{"commerce-degraded", plugins.DatabaseState{
			Engine: "vitess", Version: "20.0.5", DesiredInstances: n(8), ReadyInstances: n(6), Storage: "100Gi",
			Health:   plugins.HealthDegraded,
			Message:  "3 of 4 shards ready, 6 of 8 tablets ready; changes pending in keyspace commerce",
			Services: []string{"commerce-degraded-zone1-vtgate-0f9e8d7c"},
			Endpoint: "commerce-degraded-zone1-vtgate-0f9e8d7c",
		}},
		{"commerce-new", plugins.DatabaseState{
			Engine: "vitess", DesiredInstances: n(3), Storage: "10Gi",
			Health: plugins.HealthUnknown, Message: noStatus,
		}},
	})
}

func TestNormalizeClickHouse(t *testing.T) {
	runCases(t, "clickhouse.altinity.com", "clickhouseinstallations", []stateCase{
		{"metrics", plugins.DatabaseState{
			Engine: "clickhouse", Version: "24.8.14.10459.altinitystable", DesiredInstances: n(4), Storage: "100Gi",
			Health: plugins.HealthReady, Phase: "Completed",
			Services: []string{"clickhouse-metrics"},
			Endpoint: "clickhouse-metrics.team-a-dev.svc.cluster.local",
		}},
		{"metrics-rollout", plugins.DatabaseState{
			Engine: "clickhouse", Version: "25.3.2.39", DesiredInstances: n(4), Storage: "20Gi",
			Health: plugins.HealthProgressing, Phase: "InProgress",
			Services: []string{"clickhouse-metrics-rollout"},
			Endpoint: "clickhouse-metrics-rollout.team-a-dev.svc.cluster.local",
		}},
		{"metrics-aborted", plugins.DatabaseState{
			Engine: "clickhouse", DesiredInstances: n(2),
			Health: plugins.HealthFailed, Phase: "Aborted",
			Message:  "reconcile aborted: FAILED to reconcile host chi-metrics-aborted-main-0-1: StatefulSet is not ready",
			Services: []string{"clickhouse-metrics-aborted"},
			Endpoint: "clickhouse-metrics-aborted.team-a-dev.svc.cluster.local",
		}},
		{"metrics-stopped", plugins.DatabaseState{
			Engine: "clickhouse", DesiredInstances: n(1),
			Health: plugins.HealthDegraded, Phase: "Completed", Message: "stopped (spec.stop)",
			Services: []string{"clickhouse-metrics-stopped"},
			Endpoint: "clickhouse-metrics-stopped.team-a-dev.svc.cluster.local",
		}},
		{"metrics-new", plugins.DatabaseState{
			Engine: "clickhouse", DesiredInstances: n(3),
			Health: plugins.HealthUnknown, Message: noStatus,
			Services: []string{"clickhouse-metrics-new"},
		}},
	})
}

func TestNormalizeOTRedis(t *testing.T) {
	const why = "redis-operator reports no status for a standalone Redis; its StatefulSet's pods tell whether it runs"
	runCases(t, "redis.redis.opstreelabs.in", "redis", []stateCase{
		{"sessions", plugins.DatabaseState{
			Engine: "redis", Version: "7.0.15", DesiredInstances: n(1), Storage: "1Gi",
			Health: plugins.HealthUnknown, Message: why,
			Services: []string{"sessions"}, Secrets: []string{"sessions-redis-password"},
		}},
		{"sessions-empty-status", plugins.DatabaseState{
			Engine: "redis", Version: "7.2.7", DesiredInstances: n(1),
			Health: plugins.HealthUnknown, Message: why,
			Services: []string{"sessions-empty-status"},
		}},
	})
}

func TestNormalizeOTRedisCluster(t *testing.T) {
	svc := func(n string) []string { return []string{n + "-leader", n + "-follower"} }
	runCases(t, "redis.redis.opstreelabs.in", "redisclusters", []stateCase{
		{"cache", plugins.DatabaseState{
			Engine: "redis", Version: "7.0.15", DesiredInstances: n(6), ReadyInstances: n(6), Storage: "2Gi",
			Health: plugins.HealthReady, Phase: "Ready", Message: "RedisCluster is ready",
			Services: svc("cache"), Secrets: []string{"cache-redis-password"},
		}},
		{"cache-bootstrap", plugins.DatabaseState{
			Engine: "redis", Version: "7.2.7", DesiredInstances: n(3), ReadyInstances: n(3),
			Health: plugins.HealthProgressing, Phase: "Bootstrap", Message: "RedisCluster is bootstrapping",
			Services: svc("cache-bootstrap"),
		}},
		{"cache-degraded", plugins.DatabaseState{
			Engine: "redis", Version: "7.0.15", DesiredInstances: n(6), ReadyInstances: n(5), Storage: "2Gi",
			Health: plugins.HealthDegraded, Phase: "Ready", Message: "5 of 6 pods ready",
			Services: svc("cache-degraded"),
		}},
		{"cache-failed", plugins.DatabaseState{
			Engine: "redis", Version: "7.0.15", DesiredInstances: n(6), ReadyInstances: n(2),
			Health: plugins.HealthFailed, Phase: "Failed", Message: "cluster slots not covered: 5461 slots unassigned",
			Services: svc("cache-failed"),
		}},
		{"cache-new", plugins.DatabaseState{
			Engine: "redis", Version: "7", DesiredInstances: n(9),
			Health: plugins.HealthUnknown, Message: noStatus,
			Services: svc("cache-new"),
		}},
	})
}

func TestNormalizeOTRedisReplication(t *testing.T) {
	runCases(t, "redis.redis.opstreelabs.in", "redisreplications", []stateCase{
		{"queue", plugins.DatabaseState{
			Engine: "redis", Version: "7.0.15", DesiredInstances: n(3), Storage: "4Gi",
			Health: plugins.HealthReady, Message: "master: queue-0",
			Services: []string{"queue"}, Secrets: []string{"queue-redis-password"},
			Endpoint: "queue.team-a-dev.svc.cluster.local:6379",
		}},
		{"queue-electing", plugins.DatabaseState{
			Engine: "redis", Version: "7.0.15", DesiredInstances: n(2),
			Health: plugins.HealthProgressing, Message: "no master elected yet",
			Services: []string{"queue-electing"},
			Endpoint: "redis://queue-electing.team-a-dev.svc.cluster.local:6379",
		}},
		{"queue-new", plugins.DatabaseState{
			Engine: "redis", Version: "7.0.15", DesiredInstances: n(3),
			Health: plugins.HealthUnknown, Message: noStatus,
			Services: []string{"queue-new"},
		}},
	})
}

func TestNormalizeDragonfly(t *testing.T) {
	runCases(t, "dragonflydb.io", "dragonflies", []stateCase{
		{"feed-cache", plugins.DatabaseState{
			Engine: "dragonfly", Version: "1.27.1", DesiredInstances: n(2), Storage: "2Gi",
			Health: plugins.HealthReady, Phase: "Ready",
			Services: []string{"feed-cache"}, Secrets: []string{"feed-cache-auth"},
		}},
		{"feed-cache-rolling", plugins.DatabaseState{
			Engine: "dragonfly", Version: "1.28.0", DesiredInstances: n(3),
			Health: plugins.HealthProgressing, Phase: "RollingUpdate",
			Services: []string{"feed-cache-main"},
		}},
		{"feed-cache-legacy", plugins.DatabaseState{
			Engine: "dragonfly", Version: "1.21.2", DesiredInstances: n(2),
			Health: plugins.HealthProgressing, Phase: "configuring-replication",
			Services: []string{"feed-cache-legacy"},
		}},
		{"feed-cache-ready-legacy", plugins.DatabaseState{
			Engine: "dragonfly", Version: "1.21.2", DesiredInstances: n(1),
			Health: plugins.HealthReady, Phase: "ready",
			Services: []string{"feed-cache-ready-legacy"},
		}},
		{"feed-cache-new", plugins.DatabaseState{
			Engine: "dragonfly", DesiredInstances: n(2),
			Health: plugins.HealthUnknown, Message: noStatus,
			Services: []string{"feed-cache-new"},
		}},
	})
}

func TestNormalizeKubeDBPostgres(t *testing.T) {
	svc := func(n string) []string { return []string{n, n + "-standby", n + "-pods"} }
	runCases(t, "kubedb.com", "postgreses", []stateCase{
		{"accounts-pg", plugins.DatabaseState{
			Engine: "postgresql", Version: "16.4", DesiredInstances: n(3), Storage: "10Gi",
			Health: plugins.HealthReady, Phase: "Ready",
			Services: svc("accounts-pg"), Secrets: []string{"accounts-pg-auth"},
		}},
		{"accounts-provisioning", plugins.DatabaseState{
			Engine: "postgresql", Version: "17.2", DesiredInstances: n(1), Storage: "1Gi",
			Health: plugins.HealthProgressing, Phase: "Provisioning",
			Services: svc("accounts-provisioning"), Secrets: []string{"accounts-provisioning-credentials"},
		}},
		{"accounts-critical", plugins.DatabaseState{
			Engine: "postgresql", Version: "16.4", DesiredInstances: n(3), Storage: "10Gi",
			Health: plugins.HealthDegraded, Phase: "Critical", Message: "Replica accounts-critical-2 is not streaming from the primary",
			Services: svc("accounts-critical"), Secrets: []string{"accounts-critical-auth"},
		}},
		{"accounts-notready", plugins.DatabaseState{
			Engine: "postgresql", Version: "16.4", DesiredInstances: n(2), Storage: "10Gi",
			Health: plugins.HealthFailed, Phase: "NotReady", Message: "All replicas are not ready for Postgres team-a-dev/accounts-notready",
			Services: svc("accounts-notready"), Secrets: []string{"accounts-notready-auth"},
		}},
		{"accounts-halted", plugins.DatabaseState{
			Engine: "postgresql", Version: "15.8", DesiredInstances: n(1), Storage: "5Gi",
			Health: plugins.HealthDegraded, Phase: "Halted", Message: "The Postgres: team-a-dev/accounts-halted is halted",
			Services: svc("accounts-halted"), Secrets: []string{"accounts-halted-auth"},
		}},
		{"accounts-new", plugins.DatabaseState{
			Engine: "postgresql", Version: "16.4", DesiredInstances: n(1),
			Health: plugins.HealthUnknown, Message: noStatus,
			Services: svc("accounts-new"), Secrets: []string{"accounts-new-auth"},
		}},
	})
}

func TestNormalizeKubeDBMySQL(t *testing.T) {
	svc := func(n string) []string { return []string{n, n + "-pods"} }
	runCases(t, "kubedb.com", "mysqls", []stateCase{
		{"inventory-mysql", plugins.DatabaseState{
			Engine: "mysql", Version: "8.0.35", DesiredInstances: n(3), Storage: "20Gi",
			Health: plugins.HealthReady, Phase: "Ready",
			Services: svc("inventory-mysql"), Secrets: []string{"inventory-mysql-root"},
		}},
		{"inventory-restoring", plugins.DatabaseState{
			Engine: "mysql", Version: "8.4.3", DesiredInstances: n(1), Storage: "5Gi",
			Health: plugins.HealthProgressing, Phase: "DataRestoring",
			Services: svc("inventory-restoring"), Secrets: []string{"inventory-restoring-auth"},
		}},
		{"inventory-critical", plugins.DatabaseState{
			Engine: "mysql", Version: "8.0.35", DesiredInstances: n(3), Storage: "20Gi",
			Health: plugins.HealthDegraded, Phase: "Critical", Message: "1 of 3 group members are offline",
			Services: svc("inventory-critical"), Secrets: []string{"inventory-critical-auth"},
		}},
		{"inventory-notready", plugins.DatabaseState{
			Engine: "mysql", Version: "8.0.35", DesiredInstances: n(1), Storage: "5Gi",
			Health: plugins.HealthFailed, Phase: "NotReady",
			Message:  "dial tcp: lookup inventory-notready.team-a-dev.svc: no such host; dsn tcp(inventory-notready:3306)/mysql",
			Services: svc("inventory-notready"), Secrets: []string{"inventory-notready-auth"},
		}},
		{"inventory-new", plugins.DatabaseState{
			Engine: "mysql", Version: "8.0.35", DesiredInstances: n(1), Storage: "5Gi",
			Health: plugins.HealthUnknown, Message: noStatus,
			Services: svc("inventory-new"), Secrets: []string{"inventory-new-auth"},
		}},
	})
}

func TestNormalizeKubeDBMongoDB(t *testing.T) {
	svc := func(n string) []string { return []string{n, n + "-pods"} }
	runCases(t, "kubedb.com", "mongodbs", []stateCase{
		{"profiles-mongo", plugins.DatabaseState{
			Engine: "mongodb", Version: "7.0.8", DesiredInstances: n(3), Storage: "10Gi",
			Health: plugins.HealthReady, Phase: "Ready",
			Services: svc("profiles-mongo"), Secrets: []string{"profiles-mongo-auth"},
		}},
		{"profiles-sharded", plugins.DatabaseState{
			Engine: "mongodb", Version: "8.0.4", DesiredInstances: n(6), Storage: "50Gi",
			Health: plugins.HealthProgressing, Phase: "Provisioning",
			Services: svc("profiles-sharded"), Secrets: []string{"profiles-sharded-auth"},
		}},
		{"profiles-critical", plugins.DatabaseState{
			Engine: "mongodb", Version: "7.0.8", DesiredInstances: n(3), Storage: "10Gi",
			Health: plugins.HealthDegraded, Phase: "Critical", Message: "replica profiles-critical-2 is in state RECOVERING",
			Services: svc("profiles-critical"), Secrets: []string{"profiles-critical-auth"},
		}},
		{"profiles-notready", plugins.DatabaseState{
			Engine: "mongodb", Version: "7.0.8", DesiredInstances: n(1), Storage: "10Gi",
			Health: plugins.HealthFailed, Phase: "NotReady",
			Services: svc("profiles-notready"), Secrets: []string{"profiles-notready-auth"},
		}},
		{"profiles-new", plugins.DatabaseState{
			Engine: "mongodb", Version: "7.0.8", DesiredInstances: n(1), Storage: "10Gi",
			Health: plugins.HealthUnknown, Message: noStatus,
			Services: svc("profiles-new"), Secrets: []string{"profiles-new-admin"},
		}},
	})
}

func TestNormalizeKubeDBRedis(t *testing.T) {
	svc := func(n string) []string { return []string{n, n + "-pods"} }
	runCases(t, "kubedb.com", "redises", []stateCase{
		{"rate-limit", plugins.DatabaseState{
			Engine: "redis", Version: "7.2.4", DesiredInstances: n(1), Storage: "1Gi",
			Health: plugins.HealthReady, Phase: "Ready",
			Services: svc("rate-limit"), Secrets: []string{"rate-limit-auth"},
		}},
		{"rate-limit-cluster", plugins.DatabaseState{
			Engine: "redis", Version: "7.2.4", DesiredInstances: n(6), Storage: "2Gi",
			Health: plugins.HealthProgressing, Phase: "Provisioning",
			Services: svc("rate-limit-cluster"), Secrets: []string{"rate-limit-cluster-auth"},
		}},
		{"rate-limit-critical", plugins.DatabaseState{
			Engine: "redis", Version: "7.2.4", DesiredInstances: n(6), Storage: "2Gi",
			Health: plugins.HealthDegraded, Phase: "Critical", Message: "shard 1 has no replica",
			Services: svc("rate-limit-critical"), Secrets: []string{"rate-limit-critical-auth"},
		}},
		{"rate-limit-notready", plugins.DatabaseState{
			Engine: "redis", Version: "7.2.4", DesiredInstances: n(1), Storage: "1Gi",
			Health: plugins.HealthFailed, Phase: "NotReady",
			Message:  "redis://rate-limit-notready.team-a-dev.svc:6379 did not answer PING",
			Services: svc("rate-limit-notready"), Secrets: []string{"rate-limit-notready-auth"},
		}},
		{"rate-limit-new", plugins.DatabaseState{
			Engine: "redis", Version: "7.2.4", DesiredInstances: n(1),
			Health: plugins.HealthUnknown, Message: noStatus,
			Services: svc("rate-limit-new"), Secrets: []string{"rate-limit-new-auth"},
		}},
	})
}

// wantKinds is db-operators.yaml, by hand: operator family, group,
// preferred version, kind, plural, engine.
var wantKinds = []struct{ group, version, kind, plural, engine string }{
	{"postgresql.cnpg.io", "v1", "Cluster", "clusters", "postgresql"},
	{"postgresql.cnpg.io", "v1", "Database", "databases", "postgresql"},
	{"postgresql.cnpg.io", "v1", "Pooler", "poolers", "pgbouncer"},
	{"acid.zalan.do", "v1", "postgresql", "postgresqls", "postgresql"},
	{"postgres-operator.crunchydata.com", "v1beta1", "PostgresCluster", "postgresclusters", "postgresql"},
	{"mongodbcommunity.mongodb.com", "v1", "MongoDBCommunity", "mongodbcommunity", "mongodb"},
	{"psmdb.percona.com", "v1", "PerconaServerMongoDB", "perconaservermongodbs", "mongodb"},
	{"pxc.percona.com", "v1", "PerconaXtraDBCluster", "perconaxtradbclusters", "mysql"},
	{"pgv2.percona.com", "v2", "PerconaPGCluster", "perconapgclusters", "postgresql"},
	{"mysql.oracle.com", "v2", "InnoDBCluster", "innodbclusters", "mysql"},
	{"planetscale.com", "v2", "VitessCluster", "vitessclusters", "vitess"},
	{"clickhouse.altinity.com", "v1", "ClickHouseInstallation", "clickhouseinstallations", "clickhouse"},
	{"redis.redis.opstreelabs.in", "v1beta2", "RedisCluster", "redisclusters", "redis"},
	{"redis.redis.opstreelabs.in", "v1beta2", "Redis", "redis", "redis"},
	{"redis.redis.opstreelabs.in", "v1beta2", "RedisReplication", "redisreplications", "redis"},
	{"dragonflydb.io", "v1alpha1", "Dragonfly", "dragonflies", "dragonfly"},
	{"kubedb.com", "v1", "Postgres", "postgreses", "postgresql"},
	{"kubedb.com", "v1", "MySQL", "mysqls", "mysql"},
	{"kubedb.com", "v1", "MongoDB", "mongodbs", "mongodb"},
	{"kubedb.com", "v1", "Redis", "redises", "redis"},
}

func TestAll(t *testing.T) {
	all := All()
	if len(all) != len(wantKinds) {
		t.Fatalf("All() has %d kinds, want %d", len(all), len(wantKinds))
	}
	for i, w := range wantKinds {
		k := all[i]
		if k.Group != w.group || k.Kind != w.kind || k.Resource != w.plural || k.Engine != w.engine {
			t.Errorf("All()[%d] = %s/%s %s (%s), want %s/%s %s (%s)", i, k.Group, k.Resource, k.Kind, k.Engine, w.group, w.plural, w.kind, w.engine)
		}
		if len(k.Versions) == 0 || k.Versions[0] != w.version {
			t.Errorf("%s/%s: versions %v, want %s first", k.Group, k.Resource, k.Versions, w.version)
		}
		if k.Operator == "" || k.Normalize == nil {
			t.Errorf("%s/%s: operator %q, normalize set %v", k.Group, k.Resource, k.Operator, k.Normalize != nil)
		}
		// Every kind has a testdata file of that name.
		if _, err := os.Stat(filepath.Join("testdata", k.Group+"_"+k.Resource+".yaml")); err != nil {
			t.Errorf("%s/%s: %v", k.Group, k.Resource, err)
		}
	}
	// The versions Pont reads beyond the preferred one.
	if k, _ := Lookup("postgres-operator.crunchydata.com", "postgresclusters"); !reflect.DeepEqual(k.Versions, []string{"v1beta1", "v1"}) {
		t.Errorf("Crunchy versions %v", k.Versions)
	}
	if k, _ := Lookup("kubedb.com", "postgreses"); !reflect.DeepEqual(k.Versions, []string{"v1", "v1alpha2"}) {
		t.Errorf("KubeDB versions %v", k.Versions)
	}
	// All returns copies: changing one does not change the next call.
	all[0].Versions[0] = "v0"
	all[0].Group = "x"
	if again := All(); again[0].Versions[0] != "v1" || again[0].Group != "postgresql.cnpg.io" {
		t.Error("All() shares its slices with callers")
	}
}

// TestAllMatchesResearchFile cross-checks wantKinds with the research
// file itself when the shared folder is beside the repository.
func TestAllMatchesResearchFile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "shared", "reference", "db-operators.yaml"))
	if err != nil {
		t.Skip("shared/reference/db-operators.yaml is not beside the repository")
	}
	var entries []struct {
		Group   string `json:"group"`
		Version string `json:"version"`
		Kind    string `json:"kind"`
		Plural  string `json:"plural"`
	}
	if err := yaml.Unmarshal(b, &entries); err != nil {
		t.Fatal(err)
	}
	all := All()
	if len(entries) != len(all) {
		t.Fatalf("db-operators.yaml has %d entries, All() %d", len(entries), len(all))
	}
	for i, e := range entries {
		k := all[i]
		// "v1beta1 (storage) and v1 (served, not storage)": the first word.
		version := strings.Fields(e.Version)[0]
		if k.Group != e.Group || k.Kind != e.Kind || k.Resource != e.Plural || k.Versions[0] != version {
			t.Errorf("entry %d: %s/%s %s %s, All() has %s/%s %s %v", i, e.Group, e.Plural, e.Kind, version, k.Group, k.Resource, k.Kind, k.Versions)
		}
	}
}

func TestLookup(t *testing.T) {
	for _, w := range wantKinds {
		k, ok := Lookup(w.group, w.plural)
		if !ok || k.Kind != w.kind || k.Group != w.group || k.Resource != w.plural {
			t.Errorf("Lookup(%s, %s) = %v %v", w.group, w.plural, k.Kind, ok)
		}
	}
	// Two kinds named Redis: the group decides.
	if k, _ := Lookup("kubedb.com", "redises"); k.Operator != "KubeDB" {
		t.Errorf("kubedb redises: %q", k.Operator)
	}
	if k, _ := Lookup("redis.redis.opstreelabs.in", "redis"); k.Operator != "OT-Container-Kit redis-operator" {
		t.Errorf("OT redis: %q", k.Operator)
	}
	for _, miss := range [][2]string{{"postgresql.cnpg.io", "backups"}, {"kubedb.com", "redis"}, {"", ""}, {"apps", "deployments"}} {
		if _, ok := Lookup(miss[0], miss[1]); ok {
			t.Errorf("Lookup(%s, %s) found a kind", miss[0], miss[1])
		}
	}
}

// allTestObjects yields every testdata object with its kind.
func allTestObjects(t *testing.T, f func(k Kind, obj map[string]any)) {
	t.Helper()
	for _, k := range All() {
		for _, o := range loadObjects(t, k.Group, k.Resource) {
			f(k, o)
		}
	}
}

// planted are credentials written into the test objects on purpose
// (in URIs, DSNs and messages): none may come out.
var planted = []string{"s3cr3t"}

func TestNoCredentialsLeak(t *testing.T) {
	count := 0
	allTestObjects(t, func(k Kind, obj map[string]any) {
		count++
		st := k.Normalize(obj)
		id := k.Resource + "/" + name(obj)
		if strings.Contains(st.Endpoint, "@") {
			t.Errorf("%s: Endpoint %q has userinfo", id, st.Endpoint)
		}
		if strings.Contains(strings.ToLower(st.Endpoint), "password") {
			t.Errorf("%s: Endpoint %q mentions a password", id, st.Endpoint)
		}
		b, _ := json.Marshal(st)
		for _, p := range planted {
			if strings.Contains(string(b), p) {
				t.Errorf("%s: state carries %q: %s", id, p, b)
			}
		}
	})
	if count < 80 {
		t.Errorf("only %d test objects", count)
	}
}

// TestNumbersAsFloats: an object decoded by encoding/json has float64
// numbers, not the int64 of the apiserver's decoder; the state is the
// same.
func TestNumbersAsFloats(t *testing.T) {
	allTestObjects(t, func(k Kind, obj map[string]any) {
		b, err := json.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		var f map[string]any
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatal(err)
		}
		if a, b := k.Normalize(obj), k.Normalize(f); !reflect.DeepEqual(a, b) {
			t.Errorf("%s/%s: int64 and float64 objects differ\n%s\n%s", k.Resource, name(obj), dump(a), dump(b))
		}
	})
}

// TestHealthIsOneOfFive and Engine is always the kind's.
func TestHealthIsOneOfFive(t *testing.T) {
	valid := map[plugins.Health]bool{plugins.HealthReady: true, plugins.HealthProgressing: true,
		plugins.HealthDegraded: true, plugins.HealthFailed: true, plugins.HealthUnknown: true}
	seen := map[plugins.Health]int{}
	allTestObjects(t, func(k Kind, obj map[string]any) {
		st := k.Normalize(obj)
		if !valid[st.Health] {
			t.Errorf("%s/%s: health %q", k.Resource, name(obj), st.Health)
		}
		if st.Engine != k.Engine {
			t.Errorf("%s/%s: engine %q, want %q", k.Resource, name(obj), st.Engine, k.Engine)
		}
		seen[st.Health]++
	})
	for h := range valid {
		if seen[h] == 0 {
			t.Errorf("no test object is %s", h)
		}
	}
}

// TestStaleGeneration: a status older than the spec (observedGeneration <
// metadata.generation) means the operator is still at work. The API
// server sets generation itself, so these cases are built here, not in
// testdata.
func TestStaleGeneration(t *testing.T) {
	cases := []struct {
		group, resource, object string
		want                    plugins.Health
	}{
		{"postgresql.cnpg.io", "databases", "orders-db-applied", plugins.HealthProgressing},
		{"postgres-operator.crunchydata.com", "postgresclusters", "hippo", plugins.HealthProgressing},
		{"planetscale.com", "vitessclusters", "commerce", plugins.HealthProgressing},
		{"kubedb.com", "postgreses", "accounts-pg", plugins.HealthProgressing},
	}
	for _, c := range cases {
		t.Run(c.resource, func(t *testing.T) {
			k := kindOf(t, c.group, c.resource)
			var obj map[string]any
			for _, o := range loadObjects(t, c.group, c.resource) {
				if name(o) == c.object {
					obj = o
				}
			}
			if obj == nil {
				t.Fatalf("no %s", c.object)
			}
			if got := k.Normalize(obj).Health; got != plugins.HealthReady {
				t.Fatalf("fresh: %s, want ready", got)
			}
			obj["metadata"].(map[string]any)["generation"] = int64(2)
			if got := k.Normalize(obj).Health; got != c.want {
				t.Errorf("stale: %s, want %s", got, c.want)
			}
		})
	}
}

func TestImageVersion(t *testing.T) {
	for in, want := range map[string]string{
		"ghcr.io/cloudnative-pg/postgresql:16.4":                   "16.4",
		"ghcr.io/cloudnative-pg/postgresql:16.4@sha256:0123abcd":   "16.4",
		"ghcr.io/cloudnative-pg/postgresql@sha256:0123abcd":        "",
		"registry.internal:5000/postgres/postgresql":               "",
		"registry.internal:5000/postgres/postgresql:15.8-bookworm": "15.8-bookworm",
		"localhost:5000/redis:v7.2.4@sha256:ff":                    "7.2.4",
		"quay.io/opstree/redis:v7.0.15":                            "7.0.15",
		"docker.dragonflydb.io/dragonflydb/dragonfly:v1.27.1":      "1.27.1",
		"percona/percona-server-mongodb:7.0.18-11":                 "7.0.18-11",
		"postgres:latest":     "latest",
		"redis":               "",
		"vitess/lite:version": "version",
		"  mysql:8.0.36  ":    "8.0.36",
		"":                    "",
		"[::1]:5000/x:1.2":    "1.2",
		"example.com/deep/path/name:tag:with:colons": "colons",
	} {
		if got := imageVersion(in); got != want {
			t.Errorf("imageVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCleanEndpoint(t *testing.T) {
	for in, want := range map[string]string{
		"events-psmdb-rs0.team-a-dev.svc.cluster.local":                 "events-psmdb-rs0.team-a-dev.svc.cluster.local",
		"mongodb://user:pass@h1:27017,h2:27017/?replicaSet=rs0":         "mongodb://h1:27017,h2:27017/?replicaSet=rs0",
		"mongodb+srv://u:p%40ss@svc.ns.svc/admin?ssl=true":              "mongodb+srv://svc.ns.svc/admin?ssl=true",
		"mongodb://u:p@ss/w@rd@host:27017/db":                           "mongodb://host:27017/db",
		"postgresql://app@db:5432/app?sslmode=require&password=hunter2": "postgresql://db:5432/app?sslmode=require",
		"mysql://root:pw@h/db?user=x&pwd=y&authSource=admin#frag":       "mysql://h/db?user=x&authSource=admin#frag",
		"redis://:token@cache:6379":                                     "redis://cache:6379",
		"user:pass@host:5432":                                           "host:5432",
		"mongodb://u:p?x@host/db":                                       "mongodb://host/db",
		"jdbc:postgresql://h:5432/db?user=a&password=b":                 "jdbc:postgresql://h:5432/db?user=a",
		"https://h/path?api_key=abc&access_token=def":                   "https://h/path",
		"  ":         "",
		"host?q=a@b": "b",
	} {
		got := cleanEndpoint(in)
		if got != want {
			t.Errorf("cleanEndpoint(%q) = %q, want %q", in, got, want)
		}
		if strings.Contains(got, "@") {
			t.Errorf("cleanEndpoint(%q) = %q keeps an @", in, got)
		}
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"connection refused": "connection refused",
		"dial postgresql://postgres:s3cr3t@db-rw:5432/app failed": "dial postgresql://db-rw:5432/app failed",
		"dsn root:s3cr3t@tcp(db:3306)/mysql":                      "dsn tcp(db:3306)/mysql",
		`dsn="root:s3cr3t@tcp(db:3306)/mysql"`:                    `dsn="tcp(db:3306)/mysql"`,
		"mail ops@example.com for help":                           "mail ops@example.com for help",
		"auth failed with password=s3cr3t for user app":           "auth failed with password=*** for user app",
		"Password: s3cr3t is wrong":                               "Password: *** is wrong",
		"  ":                                                      "",
	} {
		if got := redact(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestToInt(t *testing.T) {
	for _, c := range []struct {
		in   any
		want int
		ok   bool
	}{
		{int64(3), 3, true}, {float64(3), 3, true}, {3, 3, true}, {int32(3), 3, true}, {" 3 ", 3, true},
		{float64(2.5), 0, false}, {"three", 0, false}, {nil, 0, false}, {true, 0, false},
		{float64(1e300), 0, false}, {[]any{1}, 0, false},
	} {
		got, ok := toInt(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("toInt(%#v) = %d %v, want %d %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// TestMalformed: fields of the wrong type read as missing; nothing panics
// and the state stays within the model.
func TestMalformed(t *testing.T) {
	objs := []map[string]any{
		nil,
		{},
		{"metadata": "x", "spec": []any{1}, "status": "Ready"},
		{"metadata": map[string]any{"name": 7}, "spec": map[string]any{"instances": "many", "replsets": "rs0", "users": []any{"x", nil}}, "status": map[string]any{"phase": 3, "conditions": map[string]any{}}},
		{"spec": map[string]any{"keyspaces": []any{map[string]any{"partitionings": []any{map[string]any{"equal": map[string]any{"parts": float64(1e18), "shardTemplate": map[string]any{"tabletPools": []any{map[string]any{"replicas": int64(1) << 62}}}}}}}}}},
	}
	for _, k := range All() {
		for i, o := range objs {
			st := k.Normalize(o)
			if st.Engine != k.Engine || st.Health == "" {
				t.Errorf("%s #%d: %s", k.Resource, i, dump(st))
			}
		}
	}
}

// TestGuard: a panicking adapter costs only its object's state.
func TestGuard(t *testing.T) {
	k := Kind{Kind: "Cluster", Engine: "postgresql"}
	f := guard(k, func(map[string]any) plugins.DatabaseState { panic("boom") })
	st := f(map[string]any{})
	if st.Health != plugins.HealthUnknown || st.Engine != "postgresql" || st.Message == "" {
		t.Errorf("guarded panic: %s", dump(st))
	}
}

// FuzzNormalize feeds arbitrary JSON objects to every raw adapter (the
// guard would hide a panic): none may panic, and the state stays within
// the model. The corpus starts from the testdata objects.
func FuzzNormalize(f *testing.F) {
	for _, a := range kinds {
		for _, o := range loadObjects(f, a.Group, a.Resource) {
			b, err := json.Marshal(o)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"status":{"phase":"Cluster in healthy state","readyInstances":"x"},"spec":{"instances":1e400}}`))
	valid := map[plugins.Health]bool{plugins.HealthReady: true, plugins.HealthProgressing: true,
		plugins.HealthDegraded: true, plugins.HealthFailed: true, plugins.HealthUnknown: true}
	f.Fuzz(func(t *testing.T, data []byte) {
		var obj map[string]any
		if err := json.Unmarshal(data, &obj); err != nil {
			return
		}
		for _, a := range kinds {
			st := a.normalize(obj)
			if !valid[st.Health] {
				t.Fatalf("%s: health %q", a.Resource, st.Health)
			}
			if st.Engine != a.Engine {
				t.Fatalf("%s: engine %q", a.Resource, st.Engine)
			}
			if strings.Contains(st.Endpoint, "@") {
				t.Fatalf("%s: endpoint %q", a.Resource, st.Endpoint)
			}
		}
	})
}
