package operators

import (
	"fmt"
	"strconv"

	"github.com/pont-dev/pont/plugins"
)

// CloudNativePG (postgresql.cnpg.io/v1): Cluster, Database, Pooler.
// Phase strings are the constants of api/v1/cluster_types.go: sentences,
// matched on equality (a prefix match would file "Upgrading Postgres major
// version" under "Upgrading cluster").

const cnpgHealthy = "Cluster in healthy state"

// cnpgProgressing are the phases of work the operator is doing and will
// finish by itself.
var cnpgProgressing = map[string]bool{
	"Setting up primary":                                       true,
	"Creating a new replica":                                   true,
	"Upgrading cluster":                                        true,
	"Upgrading Postgres major version":                         true,
	"Cluster upgrade delayed":                                  true, // waits for the configured delay, then upgrades
	"Switchover in progress":                                   true,
	"Failing over":                                             true,
	"Primary instance is being restarted in-place":             true,
	"Primary instance is being restarted without a switchover": true,
	"Waiting for the instances to become active":               true,
	"Online upgrade in progress":                               true,
	"Applying configuration":                                   true,
	"Promoting to primary cluster":                             true,
}

// cnpgFailed are the phases in which the operator stopped reconciling:
// they do not heal without someone changing something.
var cnpgFailed = map[string]bool{
	"Cluster is unrecoverable and needs manual intervention":                                  true,
	"Invalid cluster definition":                                                              true,
	"Cluster cannot proceed to reconciliation due to an unknown plugin being required":        true,
	"Cluster cannot proceed to reconciliation due to an error while interacting with plugins": true,
	"Cluster has incomplete or invalid image catalog":                                         true,
	"Cluster cannot execute instance online upgrade due to missing architecture binary":       true,
	"Unable to create required cluster objects":                                               true,
}

// cnpgWaitingForUser is the resting phase of a supervised update: the
// cluster serves, but nothing moves until someone acts, hence degraded.
const cnpgWaitingForUser = "Waiting for user action"

func normalizeCNPGCluster(obj map[string]any) plugins.DatabaseState {
	n := name(obj)
	st := plugins.DatabaseState{
		Engine:  "postgresql",
		Version: cnpgVersion(obj),
		Storage: quantity(obj, "spec", "storage", "size"),
	}
	if d, ok := integer(obj, "spec", "instances"); ok {
		st.DesiredInstances = intp(d)
	} else {
		st.DesiredInstances = intp(1) // the CRD default
	}
	if st.Storage == "" {
		st.Storage = pvcStorage(mapAt(obj, "spec", "storage", "pvcTemplate"))
	}
	st.Services = cnpgServices(obj, n)
	st.Secrets = cnpgSecrets(obj, n)

	status := statusOf(obj)
	if status == nil {
		return unknown(st, noStatus)
	}
	// readyInstances is omitempty: once the operator writes a status, a
	// missing count is zero.
	st.ReadyInstances = intp(intOr(status, 0, "readyInstances"))
	st.Phase = str(status, "phase")
	st.Message = redact(str(status, "phaseReason"))

	switch {
	case st.Phase == cnpgHealthy:
		st.Health = plugins.HealthReady
		if *st.ReadyInstances < *st.DesiredInstances {
			st.Health = plugins.HealthDegraded
			if st.Message == "" {
				st.Message = fmt.Sprintf("%d of %d instances ready", *st.ReadyInstances, *st.DesiredInstances)
			}
		}
	case cnpgProgressing[st.Phase]:
		st.Health = plugins.HealthProgressing
	case cnpgFailed[st.Phase]:
		st.Health = plugins.HealthFailed
	case st.Phase == cnpgWaitingForUser:
		st.Health = plugins.HealthDegraded
	default:
		// A phase this adapter does not know (a newer operator): the
		// Ready condition still tells whether the cluster serves.
		ready := condition(obj, "Ready")
		switch str(ready, "status") {
		case "True":
			st.Health = plugins.HealthReady
		case "False":
			st.Health = plugins.HealthProgressing
			if st.Message == "" {
				st.Message = redact(condMessage(ready))
			}
		default:
			st.Health = plugins.HealthUnknown
		}
	}
	return st
}

// cnpgVersion: the image the pods run (status.image), else the spec's
// image, else the major version of the data directory or of the image
// catalog entry.
func cnpgVersion(obj map[string]any) string {
	for _, img := range []string{str(obj, "status", "image"), str(obj, "spec", "imageName")} {
		if v := imageVersion(img); v != "" {
			return v
		}
	}
	for _, p := range [][]string{{"status", "pgDataImageInfo", "majorVersion"}, {"spec", "imageCatalogRef", "major"}} {
		if m, ok := integer(obj, p...); ok && m > 0 {
			return strconv.Itoa(m)
		}
	}
	return ""
}

// cnpgServices: <name>-rw, -ro, -r, less those turned off in
// spec.managed.services.disabledDefaultServices (ro and r can be), plus
// the additional managed Services.
func cnpgServices(obj map[string]any, n string) []string {
	if n == "" {
		return nil
	}
	disabled := map[string]bool{}
	for _, s := range strs(obj, "spec", "managed", "services", "disabledDefaultServices") {
		disabled[s] = true
	}
	out := []string{n + "-rw"}
	for _, s := range []string{"ro", "r"} {
		if !disabled[s] {
			out = append(out, n+"-"+s)
		}
	}
	for _, a := range maps(obj, "spec", "managed", "services", "additional") {
		out = addName(out, str(a, "serviceTemplate", "metadata", "name"))
	}
	return out
}

// cnpgSecrets: the application Secret (<name>-app unless the bootstrap
// method names one), and the superuser Secret only when superuser access
// is enabled (spec.superuserSecret or <name>-superuser).
func cnpgSecrets(obj map[string]any, n string) []string {
	var out []string
	app := ""
	for _, method := range []string{"initdb", "recovery", "pg_basebackup"} {
		if s := str(obj, "spec", "bootstrap", method, "secret", "name"); s != "" {
			app = s
			break
		}
	}
	if app == "" && n != "" {
		app = n + "-app"
	}
	out = addName(out, app)
	if isTrue(obj, "spec", "enableSuperuserAccess") {
		su := str(obj, "spec", "superuserSecret", "name")
		if su == "" && n != "" {
			su = n + "-superuser"
		}
		out = addName(out, su)
	}
	return out
}

// normalizeCNPGDatabase: a logical database inside a Cluster. The
// operator reports only whether the spec was applied.
func normalizeCNPGDatabase(obj map[string]any) plugins.DatabaseState {
	st := plugins.DatabaseState{
		Engine: "postgresql",
		Parent: str(obj, "spec", "cluster", "name"),
	}
	status := statusOf(obj)
	if status == nil {
		return unknown(st, noStatus)
	}
	st.Message = redact(str(status, "message"))
	applied, ok := boolean(status, "applied")
	switch {
	case !ok:
		// A status without the flag: the operator has not tried yet.
		st.Health = plugins.HealthProgressing
	case !applied:
		// applied=false is an attempt that failed (cluster missing, SQL
		// error); the message says which.
		st.Health = plugins.HealthFailed
	case stale(obj, "status", "observedGeneration"):
		st.Health = plugins.HealthProgressing
		if st.Message == "" {
			st.Message = "the latest change is not applied yet"
		}
	default:
		st.Health = plugins.HealthReady
	}
	if st.Message == "" && str(obj, "spec", "ensure") == "absent" {
		st.Message = "ensure: absent (the database is to be dropped)"
	}
	return st
}

// normalizeCNPGPooler: PgBouncer in front of a Cluster. The Pooler's
// Service is named like the Pooler; clients use the Cluster's Secrets.
func normalizeCNPGPooler(obj map[string]any) plugins.DatabaseState {
	n := name(obj)
	st := plugins.DatabaseState{
		Engine: "pgbouncer",
		Parent: str(obj, "spec", "cluster", "name"),
	}
	st.DesiredInstances = intp(intOr(obj, 1, "spec", "instances")) // CRD default 1
	st.Version = imageVersion(str(obj, "status", "image"))
	if st.Version == "" {
		st.Version = imageVersion(str(obj, "spec", "pgbouncer", "image"))
	}
	st.Services = addName(nil, n)

	status := statusOf(obj)
	if status == nil {
		return unknown(st, noStatus)
	}
	st.Phase = str(status, "phase")
	st.Message = redact(str(status, "phaseReason"))
	if st.Message == "" {
		st.Message = redact(str(status, "error"))
	}
	switch st.Phase {
	case "active":
		st.Health = plugins.HealthReady
	case "paused":
		// spec.pgbouncer.paused: PgBouncer holds every client on purpose.
		st.Health = plugins.HealthDegraded
	case "inactive":
		// No PgBouncer is running for it; phaseReason says why.
		st.Health = plugins.HealthDegraded
	case "failed":
		st.Health = plugins.HealthFailed
	default:
		// CloudNativePG before 1.30 writes no Pooler phase.
		st.Health = plugins.HealthUnknown
		if st.Phase == "" && st.Message == "" {
			st.Message = "the operator reports no phase for this Pooler"
		}
	}
	return st
}
