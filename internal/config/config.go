// Package config reads Pont's configuration: a YAML file, then PONT_*
// environment overrides, then command-line flags, each over the one before,
// on top of documented defaults. Validate reports every bad key at once.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode"

	"go.yaml.in/yaml/v3"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/internal/database"
)

// Config is the whole configuration. docs/configuration.md lists every key.
type Config struct {
	Server   Server          `yaml:"server"`
	Database database.Config `yaml:"database"`
	Catalog  Catalog         `yaml:"catalog"`
	Auth     Auth            `yaml:"auth"`
	GraphQL  GraphQL         `yaml:"graphql"`
	Audit    Audit           `yaml:"audit"`
	// Kubernetes: the clusters Pont watches (docs/kubernetes.md).
	Kubernetes Kubernetes `yaml:"kubernetes"`
	// Actions: self-service action runs (docs/plugins.md).
	Actions Actions `yaml:"actions"`
	Log     Log     `yaml:"log"`
}

// Actions configures how self-service actions run. Runs are jobs in a
// durable queue in Pont's database; every replica works them.
type Actions struct {
	// Workers: runs this process executes at once. Default 10.
	Workers int `yaml:"workers"`
	// RescueAfter: a run whose process stopped answering for this long
	// (killed, cut off) is run again by another. Default 1m.
	RescueAfter time.Duration `yaml:"rescueAfter"`
	// MaxAttempts: a run that keeps failing fails for good after this
	// many attempts. Default 5.
	MaxAttempts int `yaml:"maxAttempts"`
	// Example registers the example plugin's action (example.announce).
	// Default false; the demo configuration turns it on.
	Example bool `yaml:"example"`
	// SweepInterval: how often expired approval requests and expired
	// environments are acted on (on one replica at a time). Default 1m.
	SweepInterval time.Duration `yaml:"sweepInterval"`
	// ExpiryWarning: how long before an environment's TTL runs out its
	// users are warned. Default 1h.
	ExpiryWarning time.Duration `yaml:"expiryWarning"`
}

// Kubernetes configures the clusters Pont watches for environments,
// databases and workloads. docs/kubernetes.md explains each key.
type Kubernetes struct {
	// Clusters named in configuration.
	Clusters []KubernetesCluster `yaml:"clusters"`
	// ArgoCD adds the clusters of Argo CD cluster Secrets.
	ArgoCD ArgoCDClusters `yaml:"argocd"`
	// Labels Pont reads on namespaces and custom resources.
	Labels KubernetesLabels `yaml:"labels"`
	// EntityNamespace is the catalog namespace of the entities Pont makes
	// for clusters, environments and databases. Default kubernetes.
	EntityNamespace string `yaml:"entityNamespace"`
	// Owner is the group ref owning a cluster whose configuration names
	// none, and what an unlabelled environment falls back to. Default
	// group:default/platform.
	Owner string `yaml:"owner"`
	// RequestTimeout bounds every request to an API server but watches:
	// a frozen server must not hold Pont. Default 10s.
	RequestTimeout time.Duration `yaml:"requestTimeout"`
	// ProbeInterval: how often each cluster's /version is asked, to tell
	// reachable from not. Default 10s.
	ProbeInterval time.Duration `yaml:"probeInterval"`
	// ResyncInterval: how often the whole picture of a cluster is written
	// to the catalog as a full mutation. Default 10m.
	ResyncInterval time.Duration `yaml:"resyncInterval"`
	// BatchInterval: changes seen within this window reach the catalog in
	// one delta mutation. Default 200ms.
	BatchInterval time.Duration `yaml:"batchInterval"`
	// Impersonation: the names actions use for the requester on the
	// clusters, which must be the names the clusters' RBAC knows them by.
	Impersonation Impersonation `yaml:"impersonation"`
	// EnvironmentTemplate is the platform team's part of the environments
	// kubernetes.create-environment makes.
	EnvironmentTemplate EnvironmentTemplate `yaml:"environmentTemplate"`
}

// EnvironmentTemplate is what a request for an environment cannot choose:
// its quota's defaults and bounds, the containers' default limits, the
// ClusterRole its owner group gets, where DNS is, the longest TTL. Empty
// keys take the defaults of docs/configuration.md. Pont checks it when the
// Kubernetes plugin starts.
type EnvironmentTemplate struct {
	Quota  EnvironmentQuota  `yaml:"quota"`
	Limits EnvironmentLimits `yaml:"limits"`
	// OwnerClusterRole is granted to the owner group in the namespace.
	// Default edit.
	OwnerClusterRole string         `yaml:"ownerClusterRole"`
	DNS              EnvironmentDNS `yaml:"dns"`
	// MaxTTL bounds a request's TTL. Default 720h (30 days).
	MaxTTL time.Duration `yaml:"maxTTL"`
}

// EnvironmentQuota is the ResourceQuota of an environment.
type EnvironmentQuota struct {
	CPU       string `yaml:"cpu"`       // for a request that names none; default 2
	Memory    string `yaml:"memory"`    // default 4Gi
	MaxCPU    string `yaml:"maxCPU"`    // the most a request may ask; default 16
	MaxMemory string `yaml:"maxMemory"` // default 64Gi
	// Extra are further hard limits (resource → quantity); default 50
	// pods, 20 PVCs, no LoadBalancer or NodePort Services.
	Extra map[string]string `yaml:"extra"`
}

// EnvironmentLimits is the LimitRange's per-container defaults.
type EnvironmentLimits struct {
	DefaultCPU    string `yaml:"defaultCPU"`    // default 500m
	DefaultMemory string `yaml:"defaultMemory"` // default 512Mi
	RequestCPU    string `yaml:"requestCPU"`    // default 100m
	RequestMemory string `yaml:"requestMemory"` // default 128Mi
}

// EnvironmentDNS is where the allow-DNS NetworkPolicy lets pods ask.
type EnvironmentDNS struct {
	Namespace string            `yaml:"namespace"` // default kube-system
	PodLabels map[string]string `yaml:"podLabels"` // default k8s-app: kube-dns
	// AnyDestination allows port 53 anywhere (node-local DNS caches).
	AnyDestination bool `yaml:"anyDestination"`
}

// Impersonation maps a requester to the Kubernetes user and groups that
// actions impersonate. The placeholders: {user} (the catalog User's name,
// or the sign-in subject without one), {email} (the verified email),
// {subject} (the OIDC subject claim); {group} (a catalog group's name).
type Impersonation struct {
	// User, default "{user}". An API server whose OIDC usernames are
	// emails with a prefix: "oidc:{email}".
	User string `yaml:"user"`
	// Group, default "{group}"; also the group the environments'
	// RoleBindings name. "oidc:{group}" for prefixed OIDC groups.
	Group string `yaml:"group"`
}

// KubernetesCluster is one cluster named in configuration. Credentials come
// from a kubeconfig (Kubeconfig, Context), from the pod Pont runs in
// (InCluster), or from Server with a token or client certificate.
type KubernetesCluster struct {
	// Name is the cluster's name in Pont (and its entity's name).
	Name string `yaml:"name"`
	// Kubeconfig is a kubeconfig file; Context picks one of its contexts
	// (default: its current context).
	Kubeconfig string `yaml:"kubeconfig"`
	Context    string `yaml:"context"`
	// InCluster uses the service account of the pod Pont runs in.
	InCluster bool `yaml:"inCluster"`
	// Server is the API server URL, with CAFile (or the system roots).
	Server string `yaml:"server"`
	CAFile string `yaml:"caFile"`
	// TokenFile holds a bearer token, read again when it changes; Token
	// is the token itself (a secret: prefer TokenFile).
	TokenFile string `yaml:"tokenFile"`
	Token     string `yaml:"token"`
	// ClientCertFile and ClientKeyFile authenticate with a client certificate.
	ClientCertFile string `yaml:"clientCertFile"`
	ClientKeyFile  string `yaml:"clientKeyFile"`
	// Owner is the group ref owning the cluster. Default kubernetes.owner.
	Owner string `yaml:"owner"`
}

// ArgoCDClusters reads clusters from Argo CD cluster Secrets (label
// argocd.argoproj.io/secret-type=cluster, keys name, server, config).
type ArgoCDClusters struct {
	// Namespace holding the Secrets; empty turns this off.
	Namespace string `yaml:"namespace"`
	// Cluster is the configured cluster whose namespace holds them.
	// Default: the first configured cluster.
	Cluster string `yaml:"cluster"`
}

// KubernetesLabels name the labels Pont reads.
type KubernetesLabels struct {
	// Environment marks a namespace as an environment; its value is the
	// environment's name. Default pont.dev/environment.
	Environment string `yaml:"environment"`
	// Owner names the owning group (a group name in the default catalog
	// namespace, or namespace.name). Default pont.dev/owner.
	Owner string `yaml:"owner"`
	// System names the catalog system. Default pont.dev/system.
	System string `yaml:"system"`
	// Component links objects to the component with the same
	// backstage.io/kubernetes-id annotation. Default backstage.io/kubernetes-id.
	Component string `yaml:"component"`
}

// Audit configures the audit trail.
type Audit struct {
	// Retention: records older than this are deleted (hourly). Default
	// 2160h (90 days); 0 keeps them forever.
	Retention time.Duration `yaml:"retention"`
}

// Auth configures sign-in, API tokens and the authorization policy.
// docs/authentication.md and docs/authorization.md explain them.
type Auth struct {
	// ExternalURL is the URL people reach Pont at (https://pont.example.com),
	// used for the OIDC redirect URL and to decide whether cookies are
	// Secure. Default: http://<server.addr>.
	ExternalURL string  `yaml:"externalURL"`
	OIDC        OIDC    `yaml:"oidc"`
	Session     Session `yaml:"session"`
	Tokens      Tokens  `yaml:"tokens"`
	Policy      Policy  `yaml:"policy"`
}

// OIDC configures the OpenID Connect provider people sign in with. Sign-in
// is on when Issuer is set; without it Pont serves loopback callers only.
type OIDC struct {
	Issuer   string `yaml:"issuer"`
	ClientID string `yaml:"clientID"`
	// ClientSecret is secret: prefer PONT_AUTH_OIDC_CLIENT_SECRET.
	ClientSecret string `yaml:"clientSecret"`
	// Scopes requested at sign-in. Default: openid, profile, email, groups.
	Scopes []string `yaml:"scopes"`
	// Audiences accepted in bearer tokens besides ClientID.
	Audiences []string `yaml:"audiences"`
	// UserClaim names the claim matched against catalog Users'
	// spec.profile.email (when it is "email") or metadata.name. Default email.
	UserClaim string `yaml:"userClaim"`
	// GroupsClaim names the claim holding group names. Default groups.
	GroupsClaim string `yaml:"groupsClaim"`
	// GroupNamespace is the catalog namespace a claimed group name maps
	// to. Default default.
	GroupNamespace string `yaml:"groupNamespace"`
}

// Session configures browser sessions.
type Session struct {
	// IdleTimeout ends a session unused this long. Default 8h.
	IdleTimeout time.Duration `yaml:"idleTimeout"`
	// AbsoluteTimeout ends a session this long after sign-in. Default 24h.
	AbsoluteTimeout time.Duration `yaml:"absoluteTimeout"`
}

// Tokens configures Pont API tokens.
type Tokens struct {
	// MaxLifetime caps a token's lifetime. Default 2160h (90 days).
	MaxLifetime time.Duration `yaml:"maxLifetime"`
	// DefaultLifetime applies when a token is minted without one. Default 720h.
	DefaultLifetime time.Duration `yaml:"defaultLifetime"`
}

// Policy configures authorization.
type Policy struct {
	// AdminGroups are group refs (group:default/platform) whose members may
	// do everything. Default: none.
	AdminGroups []string `yaml:"adminGroups"`
	// ReadKinds lists the kinds every signed-in principal may read.
	// Default: all kinds. Admins read every kind.
	ReadKinds []string `yaml:"readKinds"`
	// RegisterLocations: "signedIn" (default) lets any signed-in person
	// register a location; "admin" keeps it to admins.
	RegisterLocations string `yaml:"registerLocations"`
}

// GraphQL configures the GraphQL API at /api/graphql.
type GraphQL struct {
	// MaxComplexity caps a query's cost: one per field, list fields
	// multiplied by their page size. Default 20000.
	MaxComplexity int `yaml:"maxComplexity"`
	// MaxDepth caps selection nesting. Default 12.
	MaxDepth int `yaml:"maxDepth"`
	// MaxAliases caps aliased fields in one query. Default 30.
	MaxAliases int `yaml:"maxAliases"`
	// MaxTokens caps the lexer tokens of a query. Default 10000.
	MaxTokens int `yaml:"maxTokens"`
	// MaxPageSize caps first/last. Default 500.
	MaxPageSize int `yaml:"maxPageSize"`
	// MaxGraphDepth caps graph(depth:). Default 4.
	MaxGraphDepth int `yaml:"maxGraphDepth"`
	// Timeout bounds one query. Default 15s.
	Timeout time.Duration `yaml:"timeout"`
	// Introspection: "auto" (default: on without OIDC, off with it), "on", "off".
	Introspection string `yaml:"introspection"`
}

// Server configures the HTTP server.
type Server struct {
	// Addr is the listen address. Default 127.0.0.1:7007.
	Addr string `yaml:"addr"`
	// AllowNonLoopback lets serve bind an address other than loopback
	// while sign-in is off (auth.oidc.issuer empty). Pont then still
	// answers loopback callers only; this is for containers whose port is
	// forwarded from the host's loopback.
	AllowNonLoopback bool `yaml:"allowNonLoopback"`
	// ReadTimeout bounds reading a request. Default 30s.
	ReadTimeout time.Duration `yaml:"readTimeout"`
	// WriteTimeout bounds writing a response. Default 120s (a full
	// unpaged /entities on a large catalog takes a while).
	WriteTimeout time.Duration `yaml:"writeTimeout"`
	// RequestTimeout bounds a handler's work. Default 60s.
	RequestTimeout time.Duration `yaml:"requestTimeout"`
	// MaxBodyBytes caps a request body. Default 1048576 (1 MiB).
	MaxBodyBytes int64 `yaml:"maxBodyBytes"`
	// ShutdownTimeout is how long in-flight requests get on shutdown. Default 15s.
	ShutdownTimeout time.Duration `yaml:"shutdownTimeout"`
	// DebugAddr, when set, serves Go's pprof profiles on this address,
	// which must be loopback. Default: off.
	DebugAddr string `yaml:"debugAddr"`
}

// Catalog configures the catalog engine, locations and API.
type Catalog struct {
	// RefreshInterval: every location is read again in full this often. Default 2m.
	RefreshInterval time.Duration `yaml:"refreshInterval"`
	// Orphans: "delete" (default) or "keep" (flagged) for entities a
	// location no longer provides.
	Orphans string `yaml:"orphans"`
	// Rules: which kinds locations may provide. Default: every builtin
	// kind but User and Group, for every location.
	Rules []catalog.Rule `yaml:"rules"`
	// Locations registered from configuration (not deletable through the API).
	Locations []LocationConfig `yaml:"locations"`
	Files     Files            `yaml:"files"`
	URLs      URLs             `yaml:"urls"`
	Limits    Limits           `yaml:"limits"`
	API       API              `yaml:"api"`
}

// LocationConfig is a location named in configuration.
type LocationConfig struct {
	Type   string `yaml:"type"`
	Target string `yaml:"target"`
}

// Files confines file locations.
type Files struct {
	// Roots are the folders file targets must lie in. Default: none, and
	// the folders of configured file locations are added.
	Roots []string `yaml:"roots"`
}

// URLs confines url locations.
type URLs struct {
	AllowedHosts         []string      `yaml:"allowedHosts"`
	AllowPrivateNetworks bool          `yaml:"allowPrivateNetworks"`
	Timeout              time.Duration `yaml:"timeout"`
}

// Limits bound every descriptor file.
type Limits struct {
	MaxFileBytes int64 `yaml:"maxFileBytes"`
	MaxDocuments int   `yaml:"maxDocuments"`
	MaxDepth     int   `yaml:"maxDepth"`
	MaxNodes     int   `yaml:"maxNodes"`
}

// API configures the Backstage-compatible REST API.
type API struct {
	AllowedLocationTypes []string `yaml:"allowedLocationTypes"`
	MaxPageSize          int      `yaml:"maxPageSize"`
	DefaultPageSize      int      `yaml:"defaultPageSize"`
}

// Log configures logging.
type Log struct {
	Level  string `yaml:"level"`  // debug, info (default), warn, error
	Format string `yaml:"format"` // text (default) or json
}

// Default returns the configuration with every default filled in.
func Default() Config {
	lim := catalog.DefaultLimits()
	return Config{
		Server: Server{
			Addr: "127.0.0.1:7007", ReadTimeout: 30 * time.Second, WriteTimeout: 120 * time.Second,
			RequestTimeout: 60 * time.Second, MaxBodyBytes: 1 << 20, ShutdownTimeout: 15 * time.Second,
		},
		Database: database.Config{Driver: "sqlite", DSN: "pont.db", MaxOpenConns: 10},
		Catalog: Catalog{
			RefreshInterval: 2 * time.Minute,
			Orphans:         "delete",
			URLs:            URLs{Timeout: 30 * time.Second},
			Limits:          Limits{MaxFileBytes: lim.MaxFileBytes, MaxDocuments: lim.MaxDocuments, MaxDepth: lim.MaxDepth, MaxNodes: lim.MaxNodes},
			API:             API{AllowedLocationTypes: []string{"url"}, MaxPageSize: 1000, DefaultPageSize: 20},
		},
		Auth: Auth{
			OIDC:    OIDC{Scopes: []string{"openid", "profile", "email", "groups"}, UserClaim: "email", GroupsClaim: "groups", GroupNamespace: "default"},
			Session: Session{IdleTimeout: 8 * time.Hour, AbsoluteTimeout: 24 * time.Hour},
			Tokens:  Tokens{MaxLifetime: 90 * 24 * time.Hour, DefaultLifetime: 30 * 24 * time.Hour},
			Policy:  Policy{RegisterLocations: "signedIn"},
		},
		GraphQL: GraphQL{
			MaxComplexity: 20000, MaxDepth: 12, MaxAliases: 30, MaxTokens: 10000,
			MaxPageSize: 500, MaxGraphDepth: 4, Timeout: 15 * time.Second, Introspection: "auto",
		},
		Audit: Audit{Retention: 90 * 24 * time.Hour},
		Kubernetes: Kubernetes{
			Labels: KubernetesLabels{
				Environment: "pont.dev/environment", Owner: "pont.dev/owner",
				System: "pont.dev/system", Component: "backstage.io/kubernetes-id",
			},
			EntityNamespace: "kubernetes", Owner: "group:default/platform",
			RequestTimeout: 10 * time.Second, ProbeInterval: 10 * time.Second,
			ResyncInterval: 10 * time.Minute, BatchInterval: 200 * time.Millisecond,
			Impersonation: Impersonation{User: "{user}", Group: "{group}"},
		},
		Actions: Actions{Workers: 10, RescueAfter: time.Minute, MaxAttempts: 5, SweepInterval: time.Minute, ExpiryWarning: time.Hour},
		Log:     Log{Level: "info", Format: "text"},
	}
}

// Load reads the file (if path is not empty) over the defaults, then the
// environment. Unknown keys in the file are errors naming them.
func Load(path string, environ []string) (Config, error) {
	cfg := Default()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		// An empty file decodes to io.EOF: it simply sets nothing.
		if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
			return cfg, fmt.Errorf("config %s: %w", path, err)
		}
	}
	if err := applyEnv(&cfg, environ); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// EnvName is the environment variable that overrides a key path such as
// "database.maxOpenConns": PONT_DATABASE_MAX_OPEN_CONNS.
func EnvName(path string) string {
	var b strings.Builder
	b.WriteString("PONT_")
	for i, r := range path {
		switch {
		case r == '.':
			b.WriteByte('_')
		case unicode.IsUpper(r) && i > 0 && path[i-1] != '.':
			b.WriteByte('_')
			b.WriteRune(r)
		default:
			b.WriteRune(unicode.ToUpper(r))
		}
	}
	return b.String()
}

// applyEnv sets every scalar (and string list) key from PONT_* variables.
func applyEnv(cfg *Config, environ []string) error {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "PONT_") {
			env[k] = v
		}
	}
	var errs []error
	Walk(cfg, func(path string, v reflect.Value) {
		s, ok := env[EnvName(path)]
		if !ok {
			return
		}
		if err := setScalar(v, s); err != nil {
			errs = append(errs, fmt.Errorf("%s (from %s): %w", path, EnvName(path), err))
		}
	})
	return errors.Join(errs...)
}

// Set sets one key by its path, as flags do.
func Set(cfg *Config, path, value string) error {
	var err error
	found := false
	Walk(cfg, func(p string, v reflect.Value) {
		if p == path {
			found = true
			if e := setScalar(v, value); e != nil {
				err = fmt.Errorf("%s: %w", path, e)
			}
		}
	})
	if !found {
		return fmt.Errorf("%s: no such key", path)
	}
	return err
}

// Walk calls fn for every scalar or string-list key with its dotted path.
func Walk(cfg *Config, fn func(path string, v reflect.Value)) {
	walk(reflect.ValueOf(cfg).Elem(), "", fn)
}

var durationType = reflect.TypeOf(time.Duration(0))

func walk(v reflect.Value, path string, fn func(string, reflect.Value)) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if name == "" || name == "-" {
			continue
		}
		p := name
		if path != "" {
			p = path + "." + name
		}
		fv := v.Field(i)
		switch {
		case f.Type.Kind() == reflect.Struct:
			walk(fv, p, fn)
		case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() != reflect.String:
			// Lists of objects (rules, locations) come from the file only.
		default:
			fn(p, fv)
		}
	}
}

func setScalar(v reflect.Value, s string) error {
	switch {
	case v.Type() == durationType:
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("%q is not a duration (like 30s or 2m)", s)
		}
		v.SetInt(int64(d))
	case v.Kind() == reflect.String:
		v.SetString(s)
	case v.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not true or false", s)
		}
		v.SetBool(b)
	case v.Kind() == reflect.Int || v.Kind() == reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not an integer", s)
		}
		v.SetInt(n)
	case v.Kind() == reflect.Pointer && v.Type().Elem().Kind() == reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not true or false", s)
		}
		v.Set(reflect.ValueOf(&b))
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.String:
		var list []string
		for _, item := range strings.Split(s, ",") {
			if item = strings.TrimSpace(item); item != "" {
				list = append(list, item)
			}
		}
		v.Set(reflect.ValueOf(list))
	default:
		return fmt.Errorf("cannot be set from text")
	}
	return nil
}

// Validate checks every key and returns all problems at once, each naming
// its key.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	host, _, err := net.SplitHostPort(c.Server.Addr)
	if err != nil {
		bad("server.addr", "%q is not host:port", c.Server.Addr)
	} else if !c.Server.AllowNonLoopback && !isLoopbackHost(host) && c.Auth.OIDC.Issuer == "" {
		bad("server.addr", "%q is not a loopback address; without auth.oidc.issuer Pont serves loopback callers only, so binding another address needs server.allowNonLoopback (flag --allow-non-loopback)", c.Server.Addr)
	}
	if c.Server.DebugAddr != "" {
		if host, _, err := net.SplitHostPort(c.Server.DebugAddr); err != nil || !isLoopbackHost(host) {
			bad("server.debugAddr", "%q must be a loopback host:port (profiles reveal internals)", c.Server.DebugAddr)
		}
	}
	for key, d := range map[string]time.Duration{
		"server.readTimeout": c.Server.ReadTimeout, "server.writeTimeout": c.Server.WriteTimeout,
		"server.requestTimeout": c.Server.RequestTimeout, "server.shutdownTimeout": c.Server.ShutdownTimeout,
		"catalog.urls.timeout": c.Catalog.URLs.Timeout,
	} {
		if d <= 0 {
			bad(key, "must be a positive duration")
		}
	}
	if c.Catalog.RefreshInterval < time.Second {
		bad("catalog.refreshInterval", "must be at least 1s")
	}
	if c.Server.MaxBodyBytes < 1024 {
		bad("server.maxBodyBytes", "must be at least 1024")
	}
	switch c.Database.Driver {
	case "sqlite", "postgres":
	default:
		bad("database.driver", "%q is not sqlite or postgres", c.Database.Driver)
	}
	if c.Database.Driver == "postgres" && c.Database.DSN == "" {
		bad("database.dsn", "is required for postgres")
	}
	if c.Catalog.Orphans != "delete" && c.Catalog.Orphans != "keep" {
		bad("catalog.orphans", "%q is not delete or keep", c.Catalog.Orphans)
	}
	for i, l := range c.Catalog.Locations {
		if l.Type != "file" && l.Type != "url" {
			bad(fmt.Sprintf("catalog.locations[%d].type", i), "%q is not file or url", l.Type)
		}
		if l.Target == "" {
			bad(fmt.Sprintf("catalog.locations[%d].target", i), "is required")
		}
	}
	for i, t := range c.Catalog.API.AllowedLocationTypes {
		if t != "file" && t != "url" {
			bad(fmt.Sprintf("catalog.api.allowedLocationTypes[%d]", i), "%q is not file or url", t)
		}
	}
	for i, r := range c.Catalog.Rules {
		if len(r.Allow) == 0 {
			bad(fmt.Sprintf("catalog.rules[%d].allow", i), "lists no kinds")
		}
	}
	lim := c.Catalog.Limits
	for key, n := range map[string]int64{
		"catalog.limits.maxFileBytes": lim.MaxFileBytes, "catalog.limits.maxDocuments": int64(lim.MaxDocuments),
		"catalog.limits.maxDepth": int64(lim.MaxDepth), "catalog.limits.maxNodes": int64(lim.MaxNodes),
		"catalog.api.maxPageSize": int64(c.Catalog.API.MaxPageSize), "catalog.api.defaultPageSize": int64(c.Catalog.API.DefaultPageSize),
	} {
		if n <= 0 {
			bad(key, "must be positive")
		}
	}
	if c.Catalog.API.DefaultPageSize > c.Catalog.API.MaxPageSize {
		bad("catalog.api.defaultPageSize", "is larger than catalog.api.maxPageSize")
	}
	if c.Audit.Retention < 0 {
		bad("audit.retention", "must not be negative (0 keeps records forever)")
	}
	c.validateAuth(bad)
	c.validateGraphQL(bad)
	c.validateKubernetes(bad)
	if c.Actions.Workers < 1 {
		bad("actions.workers", "must be at least 1")
	}
	if c.Actions.RescueAfter < 5*time.Second {
		bad("actions.rescueAfter", "must be at least 5s")
	}
	if c.Actions.MaxAttempts < 1 || c.Actions.MaxAttempts > 25 {
		bad("actions.maxAttempts", "must be between 1 and 25")
	}
	if c.Actions.SweepInterval < time.Second {
		bad("actions.sweepInterval", "must be at least 1s")
	}
	if c.Actions.ExpiryWarning < 0 {
		bad("actions.expiryWarning", "must not be negative")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "%q is not debug, info, warn or error", c.Log.Level)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		bad("log.format", "%q is not text or json", c.Log.Format)
	}
	return errors.Join(errs...)
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CatalogLimits converts the limits for the parser.
func (c *Config) CatalogLimits() catalog.Limits {
	l := c.Catalog.Limits
	return catalog.Limits{MaxFileBytes: l.MaxFileBytes, MaxDocuments: l.MaxDocuments, MaxDepth: l.MaxDepth, MaxNodes: l.MaxNodes}
}

func (c *Config) validateAuth(bad func(key, format string, args ...any)) {
	a := c.Auth
	if a.ExternalURL != "" {
		if u, err := url.Parse(a.ExternalURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			bad("auth.externalURL", "%q is not an http(s) URL without query or fragment", a.ExternalURL)
		}
	}
	if o := a.OIDC; o.Issuer != "" {
		if u, err := url.Parse(o.Issuer); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("auth.oidc.issuer", "%q is not an http(s) URL", o.Issuer)
		}
		if o.ClientID == "" {
			bad("auth.oidc.clientID", "is required when auth.oidc.issuer is set")
		}
		if o.UserClaim == "" {
			bad("auth.oidc.userClaim", "must not be empty")
		}
		if o.GroupNamespace == "" {
			bad("auth.oidc.groupNamespace", "must not be empty")
		}
	}
	for key, d := range map[string]time.Duration{
		"auth.session.idleTimeout": a.Session.IdleTimeout, "auth.session.absoluteTimeout": a.Session.AbsoluteTimeout,
		"auth.tokens.maxLifetime": a.Tokens.MaxLifetime, "auth.tokens.defaultLifetime": a.Tokens.DefaultLifetime,
	} {
		if d <= 0 {
			bad(key, "must be a positive duration")
		}
	}
	if a.Tokens.DefaultLifetime > a.Tokens.MaxLifetime {
		bad("auth.tokens.defaultLifetime", "is longer than auth.tokens.maxLifetime")
	}
	for i, g := range a.Policy.AdminGroups {
		if r, err := catalog.ParseRef(g, catalog.RefDefaults{Kind: "group", Namespace: "default"}); err != nil || !strings.EqualFold(r.Kind, "group") {
			bad(fmt.Sprintf("auth.policy.adminGroups[%d]", i), "%q is not a group ref like group:default/platform", g)
		}
	}
	switch a.Policy.RegisterLocations {
	case "signedIn", "admin":
	default:
		bad("auth.policy.registerLocations", "%q is not signedIn or admin", a.Policy.RegisterLocations)
	}
}

func (c *Config) validateGraphQL(bad func(key, format string, args ...any)) {
	g := c.GraphQL
	for key, n := range map[string]int{
		"graphql.maxComplexity": g.MaxComplexity, "graphql.maxDepth": g.MaxDepth, "graphql.maxAliases": g.MaxAliases,
		"graphql.maxTokens": g.MaxTokens, "graphql.maxPageSize": g.MaxPageSize, "graphql.maxGraphDepth": g.MaxGraphDepth,
	} {
		if n <= 0 {
			bad(key, "must be positive")
		}
	}
	if g.Timeout <= 0 {
		bad("graphql.timeout", "must be a positive duration")
	}
	switch g.Introspection {
	case "auto", "on", "off":
	default:
		bad("graphql.introspection", "%q is not auto, on or off", g.Introspection)
	}
}

// IntrospectionEnabled resolves graphql.introspection: "auto" turns it on
// only while sign-in is off (loopback-only mode).
func (c *Config) IntrospectionEnabled() bool {
	switch c.GraphQL.Introspection {
	case "on":
		return true
	case "off":
		return false
	}
	return c.Auth.OIDC.Issuer == ""
}

// ExternalURL is auth.externalURL, or the URL of server.addr.
func (c *Config) ExternalURL() string {
	if c.Auth.ExternalURL != "" {
		return strings.TrimRight(c.Auth.ExternalURL, "/")
	}
	return "http://" + c.Server.Addr
}

func (c *Config) validateKubernetes(bad func(key, format string, args ...any)) {
	k := c.Kubernetes
	for key, d := range map[string]time.Duration{
		"kubernetes.requestTimeout": k.RequestTimeout, "kubernetes.probeInterval": k.ProbeInterval,
		"kubernetes.resyncInterval": k.ResyncInterval, "kubernetes.batchInterval": k.BatchInterval,
	} {
		if d <= 0 {
			bad(key, "must be a positive duration")
		}
	}
	if _, err := catalog.ParseRef(k.Owner, catalog.RefDefaults{Kind: "group", Namespace: "default"}); err != nil {
		bad("kubernetes.owner", "%v", err)
	}
	if u := k.Impersonation.User; strings.Count(u, "{user}")+strings.Count(u, "{email}")+strings.Count(u, "{subject}") != 1 {
		bad("kubernetes.impersonation.user", "%q must hold exactly one of {user}, {email} or {subject}", u)
	} else if strings.HasPrefix(u, "system:") {
		bad("kubernetes.impersonation.user", "%q names a system: user", u)
	}
	if g := k.Impersonation.Group; strings.Count(g, "{group}") != 1 {
		bad("kubernetes.impersonation.group", "%q must hold {group} once", g)
	} else if strings.HasPrefix(g, "system:") {
		bad("kubernetes.impersonation.group", "%q names system: groups", g)
	}
	names := map[string]bool{}
	for i, cl := range k.Clusters {
		key := fmt.Sprintf("kubernetes.clusters[%d]", i)
		if cl.Name == "" {
			bad(key+".name", "is required")
		} else if names[cl.Name] {
			bad(key+".name", "%q names two clusters", cl.Name)
		}
		names[cl.Name] = true
		ways := 0
		for _, set := range []bool{cl.Kubeconfig != "", cl.InCluster, cl.Server != ""} {
			if set {
				ways++
			}
		}
		if ways != 1 {
			bad(key, "needs exactly one of kubeconfig, inCluster or server")
		}
		if cl.Server != "" {
			if u, err := url.Parse(cl.Server); err != nil || u.Scheme != "https" || u.Host == "" {
				bad(key+".server", "%q is not an https:// URL", cl.Server)
			}
		}
		if cl.Token != "" && cl.TokenFile != "" {
			bad(key+".token", "set token or tokenFile, not both")
		}
		if (cl.ClientCertFile == "") != (cl.ClientKeyFile == "") {
			bad(key+".clientKeyFile", "clientCertFile and clientKeyFile go together")
		}
		if cl.Owner != "" {
			if _, err := catalog.ParseRef(cl.Owner, catalog.RefDefaults{Kind: "group", Namespace: "default"}); err != nil {
				bad(key+".owner", "%v", err)
			}
		}
	}
	if k.ArgoCD.Namespace != "" {
		if len(k.Clusters) == 0 {
			bad("kubernetes.argocd.namespace", "needs a configured cluster to read the Secrets from")
		} else if k.ArgoCD.Cluster != "" && !names[k.ArgoCD.Cluster] {
			bad("kubernetes.argocd.cluster", "%q is not a configured cluster", k.ArgoCD.Cluster)
		}
	}
	for key, l := range map[string]string{
		"kubernetes.labels.environment": k.Labels.Environment, "kubernetes.labels.owner": k.Labels.Owner,
		"kubernetes.labels.system": k.Labels.System, "kubernetes.labels.component": k.Labels.Component,
	} {
		if l == "" {
			bad(key, "is required")
		}
	}
}
