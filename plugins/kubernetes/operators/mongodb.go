package operators

import (
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/pont-dev/pont/plugins"
)

// MongoDB Community operator (mongodbcommunity.mongodb.com/v1, plural
// "mongodbcommunity"). status.phase is Running, Pending or Failed, with
// status.message; status.mongoUri is the connection string (without
// credentials as the operator writes it, cleaned anyway). The operator
// reports the members it configured, not how many are ready, so
// ReadyInstances stays nil.

// mdbcDefaultStorage is the operator's default data volume request
// (data-volume, 10G) when the StatefulSet override does not change it.
const mdbcDefaultStorage = "10G"

func normalizeMongoDBCommunity(obj map[string]any) plugins.DatabaseState {
	n := name(obj)
	st := plugins.DatabaseState{Engine: "mongodb"}
	st.Version = str(obj, "status", "version")
	if st.Version == "" {
		st.Version = str(obj, "spec", "version")
	}
	// Data-bearing members; arbiters hold no data and are not counted.
	if m, ok := integer(obj, "spec", "members"); ok {
		st.DesiredInstances = intp(m)
	}
	st.Storage = mdbcDefaultStorage
	for _, t := range maps(obj, "spec", "statefulSet", "spec", "volumeClaimTemplates") {
		if str(t, "metadata", "name") == "data-volume" {
			if s := pvcStorage(mapAt(t, "spec")); s != "" {
				st.Storage = s
			}
		}
	}
	// The Service is <name>-svc unless the StatefulSet override names it.
	if svc := str(obj, "spec", "statefulSet", "spec", "serviceName"); svc != "" {
		st.Services = []string{svc}
	} else if n != "" {
		st.Services = []string{n + "-svc"}
	}
	// One connection-string Secret per user.
	for _, u := range maps(obj, "spec", "users") {
		if s := str(u, "connectionStringSecretName"); s != "" {
			st.Secrets = addName(st.Secrets, s)
			continue
		}
		db := str(u, "db")
		if db == "" {
			db = "admin" // the CRD default
		}
		if un := str(u, "name"); un != "" && n != "" {
			st.Secrets = addName(st.Secrets, mdbcNormalizeName(n+"-"+db+"-"+un))
		}
	}

	status := statusOf(obj)
	if status == nil {
		return unknown(st, noStatus)
	}
	st.Endpoint = cleanEndpoint(str(status, "mongoUri"))
	st.Phase = str(status, "phase")
	st.Message = redact(str(status, "message"))
	switch st.Phase {
	case "Running":
		st.Health = plugins.HealthReady
	case "Pending":
		st.Health = plugins.HealthProgressing
	case "Failed":
		st.Health = plugins.HealthFailed
	default:
		st.Health = plugins.HealthUnknown
	}
	return st
}

var (
	mdbcInvalid = regexp.MustCompile(`[^a-z0-9-]+`)
	mdbcDashes  = regexp.MustCompile(`-+`)
)

// mdbcNormalizeName is the operator's normalizeName: a name that is not a
// DNS subdomain is lower-cased, every run of other characters becomes
// "-", and it is cut to 253 characters.
func mdbcNormalizeName(s string) string {
	if len(validation.IsDNS1123Subdomain(s)) == 0 {
		return s
	}
	s = strings.ToLower(s)
	s = mdbcInvalid.ReplaceAllString(s, "-")
	s = mdbcDashes.ReplaceAllString(s, "-")
	s = strings.Trim(s, "-")
	if len(s) > validation.DNS1123SubdomainMaxLength {
		s = s[:validation.DNS1123SubdomainMaxLength]
	}
	return s
}
