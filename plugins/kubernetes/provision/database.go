package provision

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/pont-dev/pont/internal/config"
	"github.com/pont-dev/pont/plugins"
	"github.com/pont-dev/pont/plugins/kubernetes/operators"
)

// The operators DatabaseObject can provision for.
const (
	OperatorCNPG             = "cnpg"              // CloudNativePG: postgresql.cnpg.io/v1 Cluster
	OperatorZalando          = "zalando"           // Zalando postgres-operator: acid.zalan.do/v1 postgresql
	OperatorMongoDBCommunity = "mongodb-community" // MongoDB Community operator: mongodbcommunity.mongodb.com/v1 MongoDBCommunity
)

// Bounds of a database request: enough for self-service, beyond which a
// platform team should be asked.
const (
	MaxInstances   = 9
	DefaultStorage = "10Gi"
	minStorage     = "1Gi"
	maxStorage     = "1Ti"
	// maxDatabaseName leaves room for the suffixes operators append
	// (CloudNativePG's "-rw", pods' "-1", Jobs' "-1-initdb-xxxxx") within
	// the 63 characters of a label value or DNS label.
	maxDatabaseName = 40
)

// AppUser is the database user and database every template creates, the
// way CloudNativePG does by default, so an application finds the same
// names whatever the operator.
const AppUser = "app"

// DatabaseInput is a request for a database.
type DatabaseInput struct {
	// Namespace is the environment to put it in; it must exist.
	Namespace string
	// Name of the custom resource: a DNS-1035 label of at most 40
	// characters (operators derive Service and Pod names from it).
	Name string
	// Operator: OperatorCNPG (the default, when empty), OperatorZalando or
	// OperatorMongoDBCommunity.
	Operator string
	// Version of the engine; empty takes the operator's default.
	// CloudNativePG: a PostgreSQL major, or major.minor ("17", "16.4"),
	// 14 to 18. Zalando: a major, 14 to 18 (the CRD's enum). MongoDB: a
	// full version of 6.0, 7.0 or 8.0 ("8.0.12"), which the agent
	// downloads.
	Version string
	// Instances: 1 to 9; 0 means 1.
	Instances int
	// Storage per instance: a quantity from 1Gi to 1Ti; empty means 10Gi.
	Storage string
	// Owner is the owning group's name (pont.dev/owner). Required: with
	// Zalando it is also the teamId.
	Owner string
	// Component is the backstage.io/kubernetes-id of the component that
	// uses the database; optional.
	Component string
}

// operatorSpec is what DatabaseObject and ScaleDatabase know of one
// operator.
type operatorSpec struct {
	gvk            schema.GroupVersionKind
	defaultVersion string
	validVersion   func(string) bool
	versionHint    string
	instancesPath  []string
}

var (
	pgMajor      = regexp.MustCompile(`^(1[4-8])$`)
	pgMajorMinor = regexp.MustCompile(`^(1[4-8])(\.[0-9]+)?$`)
	mongoVersion = regexp.MustCompile(`^(6\.0|7\.0|8\.0)\.[0-9]+$`)
)

var operatorSpecs = map[string]operatorSpec{
	OperatorCNPG: {
		gvk:            schema.GroupVersionKind{Group: "postgresql.cnpg.io", Version: "v1", Kind: "Cluster"},
		defaultVersion: "17",
		validVersion:   pgMajorMinor.MatchString,
		versionHint:    "a PostgreSQL version 14 to 18, as major or major.minor",
		instancesPath:  []string{"spec", "instances"},
	},
	OperatorZalando: {
		gvk:            schema.GroupVersionKind{Group: "acid.zalan.do", Version: "v1", Kind: "postgresql"},
		defaultVersion: "17",
		validVersion:   pgMajor.MatchString,
		versionHint:    "a PostgreSQL major version 14 to 18",
		instancesPath:  []string{"spec", "numberOfInstances"},
	},
	OperatorMongoDBCommunity: {
		gvk:            schema.GroupVersionKind{Group: "mongodbcommunity.mongodb.com", Version: "v1", Kind: "MongoDBCommunity"},
		defaultVersion: "8.0.12",
		validVersion:   mongoVersion.MatchString,
		versionHint:    "a full MongoDB version of 6.0, 7.0 or 8.0, such as 8.0.12",
		instancesPath:  []string{"spec", "members"},
	},
}

// cnpgImage is CloudNativePG's PostgreSQL image; its tag is the version
// (the plugin reads the version back from it).
const cnpgImage = "ghcr.io/cloudnative-pg/postgresql"

// DatabaseObject renders a database request as its operator's custom
// resource, with Pont's labels (owner, component) and AnnotationManagedBy.
// Each is the smallest object the operator's published CRD accepts
// (deploy/crds) that gives a usable database: an "app" user owning an
// "app" database.
//
//   - CloudNativePG: instances, imageName (the version's image) and
//     storage.size. The operator makes the app user and its Secret
//     <name>-app.
//   - Zalando: teamId (the owner), numberOfInstances, postgresql.version,
//     volume.size, and users/databases for app. Its Secret is
//     app.<name>.credentials.postgresql.acid.zalan.do. An operator
//     configured with enable_team_id_clustername_prefix also requires the
//     name to start with "<owner>-".
//   - MongoDB Community: a ReplicaSet of members with SCRAM, the user app
//     (readWrite on app) and the data volume's size. The operator does not
//     make passwords: a Secret MongoDBPasswordSecretName(name) with the key
//     "password" must exist before it can finish.
//
// Invalid input gives an *InvalidInput naming each bad field.
func DatabaseObject(in DatabaseInput) (*unstructured.Unstructured, error) {
	in, spec, err := in.normalize()
	if err != nil {
		return nil, err
	}
	var body map[string]any
	switch in.Operator {
	case OperatorCNPG:
		body = map[string]any{
			"instances": int64(in.Instances),
			"imageName": cnpgImage + ":" + in.Version,
			"storage":   map[string]any{"size": in.Storage},
		}
	case OperatorZalando:
		body = map[string]any{
			"teamId":            in.Owner,
			"numberOfInstances": int64(in.Instances),
			"postgresql":        map[string]any{"version": in.Version},
			"volume":            map[string]any{"size": in.Storage},
			"users":             map[string]any{AppUser: []any{}},
			"databases":         map[string]any{AppUser: AppUser},
		}
	case OperatorMongoDBCommunity:
		body = map[string]any{
			"type":    "ReplicaSet",
			"members": int64(in.Instances),
			"version": in.Version,
			"security": map[string]any{
				"authentication": map[string]any{"modes": []any{"SCRAM"}},
			},
			"users": []any{map[string]any{
				"name":                       AppUser,
				"db":                         "admin",
				"passwordSecretRef":          map[string]any{"name": MongoDBPasswordSecretName(in.Name)},
				"roles":                      []any{map[string]any{"name": "readWrite", "db": AppUser}},
				"scramCredentialsSecretName": in.Name + "-" + AppUser,
			}},
			// The operator merges this into its StatefulSet by name:
			// data-volume is the volume its mongod keeps data on.
			"statefulSet": map[string]any{"spec": map[string]any{
				"volumeClaimTemplates": []any{map[string]any{
					"metadata": map[string]any{"name": "data-volume"},
					"spec": map[string]any{
						"accessModes": []any{"ReadWriteOnce"},
						"resources":   map[string]any{"requests": map[string]any{"storage": in.Storage}},
					},
				}},
			}},
		}
	}
	u := object(spec.gvk.GroupVersion().String(), spec.gvk.Kind, in.Namespace, in.Name, body)
	labels := config.Default().Kubernetes.Labels
	l := map[string]string{labels.Owner: in.Owner}
	if in.Component != "" {
		l[labels.Component] = in.Component
	}
	u.SetLabels(l)
	u.SetAnnotations(map[string]string{AnnotationManagedBy: ManagedByPont})
	return u, nil
}

// MongoDBPasswordSecretName is the Secret holding the app user's password
// (key "password") of a MongoDBCommunity made by DatabaseObject.
func MongoDBPasswordSecretName(name string) string { return name + "-" + AppUser + "-password" }

// normalize fills the defaults and validates every field.
func (in DatabaseInput) normalize() (DatabaseInput, operatorSpec, error) {
	var fe fieldErrors
	switch {
	case in.Namespace == "":
		fe.add("namespace", "required")
	case len(validation.IsDNS1123Label(in.Namespace)) > 0:
		fe.add("namespace", "%q is not a DNS label", in.Namespace)
	}
	switch {
	case in.Name == "":
		fe.add("name", "required")
	case len(validation.IsDNS1035Label(in.Name)) > 0:
		fe.add("name", "%q is not a DNS-1035 label (lower case letters, digits and '-', starting with a letter)", in.Name)
	case len(in.Name) > maxDatabaseName:
		fe.add("name", "%q is longer than %d characters", in.Name, maxDatabaseName)
	}
	if in.Operator == "" {
		in.Operator = OperatorCNPG
	}
	spec, known := operatorSpecs[in.Operator]
	if !known {
		fe.add("operator", "%q is not one of %s", in.Operator, strings.Join(slices.Sorted(maps.Keys(operatorSpecs)), ", "))
	} else {
		if in.Version == "" {
			in.Version = spec.defaultVersion
		}
		if !spec.validVersion(in.Version) {
			fe.add("version", "%q is not supported by %s: give %s", in.Version, in.Operator, spec.versionHint)
		}
	}
	if in.Instances == 0 {
		in.Instances = 1
	}
	if err := checkInstances(in.Instances); err != nil {
		fe.add("instances", "%v", err)
	}
	if in.Storage == "" {
		in.Storage = DefaultStorage
	}
	if q, err := resource.ParseQuantity(in.Storage); err != nil {
		fe.add("storage", "%q is not a quantity", in.Storage)
	} else if q.Cmp(resource.MustParse(minStorage)) < 0 || q.Cmp(resource.MustParse(maxStorage)) > 0 {
		fe.add("storage", "%q is not between %s and %s", in.Storage, minStorage, maxStorage)
	} else {
		// The canonical form ("1536Mi" for "1.5Gi"): Zalando's CRD
		// takes no fractions, and the plugin shows storage as written.
		in.Storage = q.String()
	}
	labelValue(&fe, "owner", in.Owner, true)
	labelValue(&fe, "component", in.Component, false)
	return in, spec, fe.err()
}

func checkInstances(n int) error {
	if n < 1 || n > MaxInstances {
		return fmt.Errorf("%d is not between 1 and %d", n, MaxInstances)
	}
	return nil
}

// ScaleDatabase returns a copy of a database object made by DatabaseObject
// with its instance count set in the operator's field (CloudNativePG
// spec.instances, Zalando spec.numberOfInstances, MongoDB spec.members),
// ready for Plan and Apply. Pass the object Pont rendered, not one read
// from the cluster: with server-side apply, Pont then keeps owning exactly
// the fields it set. An invalid count is an *InvalidInput for
// "instances".
func ScaleDatabase(obj *unstructured.Unstructured, instances int) (*unstructured.Unstructured, error) {
	if obj == nil {
		return nil, fmt.Errorf("scale: no object")
	}
	spec, ok := specFor(obj.GroupVersionKind())
	if !ok {
		return nil, fmt.Errorf("scale: %s is not a database kind Pont provisions", obj.GroupVersionKind())
	}
	if err := checkInstances(instances); err != nil {
		return nil, &InvalidInput{Fields: []*FieldError{{Field: "instances", Detail: err.Error()}}}
	}
	out := obj.DeepCopy()
	if err := unstructured.SetNestedField(out.Object, int64(instances), spec.instancesPath...); err != nil {
		return nil, fmt.Errorf("scale %s: %w", describe(obj), err)
	}
	return out, nil
}

// specFor finds the operator of a kind by group and kind (any version).
func specFor(gvk schema.GroupVersionKind) (operatorSpec, bool) {
	for _, s := range operatorSpecs {
		if s.gvk.GroupKind() == gvk.GroupKind() {
			return s, true
		}
	}
	return operatorSpec{}, false
}

// DatabaseReady reports whether a database object, as read from the
// cluster, is ready: the plugin's own health reading (package operators)
// says ready, which for CloudNativePG means "Cluster in healthy state"
// with every instance ready, for Zalando and MongoDB the phase "Running".
// A kind the plugin does not know is never ready. Use
// it as WaitReady's predicate.
func DatabaseReady(obj *unstructured.Unstructured) bool {
	if obj == nil {
		return false
	}
	gvk := obj.GroupVersionKind()
	for _, k := range operators.All() {
		if k.Group == gvk.Group && k.Kind == gvk.Kind {
			return k.Normalize(obj.Object).Health == plugins.HealthReady
		}
	}
	return false
}

// describe names an object in errors: "Cluster team-a-dev/pg".
func describe(obj *unstructured.Unstructured) string {
	if ns := obj.GetNamespace(); ns != "" {
		return obj.GetKind() + " " + ns + "/" + obj.GetName()
	}
	return obj.GetKind() + " " + obj.GetName()
}
