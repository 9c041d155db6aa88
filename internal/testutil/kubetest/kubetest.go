// Package kubetest runs real Kubernetes API servers for tests: each cluster
// is a kube-apiserver with its own etcd, started from the binaries that
// deploy/testenv/envtest.sh builds (kube-apiserver v1.37.2, etcd v3.6.13),
// listening on 127.0.0.1 on free ports, killed when the test ends.
//
//	cs := kubetest.StartMany(t, 3, kubetest.Options{})
//	client := kubernetes.NewForConfigOrDie(cs[0].Config())
//	cs[0].InstallCRDs(t, "postgresql.cnpg.io_clusters.yaml")
//	cs[1].Stop(t)    // connections to cs[1].URL are refused
//	cs[1].Restart(t) // same URL, same certificates, same data
//	cs[2].Freeze(t)  // connections are accepted but never answered
//	cs[2].Thaw(t)
//
// Why not controller-runtime's envtest: Pont is a client watching many
// clusters, and its tests must show what it does when one of them goes away
// and comes back. envtest starts and stops its control plane as a whole, and
// a stop discards the certificates it generated and etcd's temporary data:
// what comes back is a new, empty cluster with a new CA, not the same
// cluster again. Nor can it freeze a server, which is how a hung apiserver
// or a network dropping replies looks to a client: TCP connects, nothing
// answers. Here kube-apiserver and etcd are plain child processes: Stop
// ends only the apiserver (etcd keeps the objects), Restart starts it on the
// same port with the same certificates, tokens and flags, Freeze and Thaw
// send it SIGSTOP and SIGCONT. It also keeps controller-runtime out of
// Pont's go.mod.
//
// No controllers run (no kube-controller-manager, no scheduler, no kubelet):
// objects are stored and served, nothing acts on them. Tests write the status
// an operator would, through the status subresource.
//
// Authentication is by static bearer tokens (--token-auth-file): an admin in
// system:masters (Cluster.AdminToken) and the users of Options.Users, whose
// token is "token-"+name. Authorization is AlwaysAllow, or RBAC when
// Options.RBAC is set. The bootstrap roles exist, but the aggregated ones
// (admin, edit, view) have no rules: kube-controller-manager aggregates
// them. Tests bind roles of their own, or cluster-admin.
//
// When the binaries are not available (not built yet and not buildable in a
// minute, or the build fails), Start skips the test, or fails it when
// PONT_REQUIRE_KUBE=1 (as `make test` sets). PONT_KUBE_ASSETS=DIR uses the
// kube-apiserver and etcd in DIR instead of running envtest.sh.
//
// Servers die with the test binary even when it is killed (Linux's
// Pdeathsig). On other Unix systems the package builds, but a killed test
// binary may leave them running; it does not build on Windows.
package kubetest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/pont-dev/pont/internal/testutil/freeport"
)

const (
	// envRequire makes a missing binary fail the test instead of skipping it.
	envRequire = "PONT_REQUIRE_KUBE"

	// readyTimeout bounds each wait for etcd's /health and the
	// apiserver's /readyz.
	readyTimeout = 60 * time.Second
	// startTries: a free port can be taken by someone else between
	// choosing it and the server binding it; then we choose again.
	startTries = 3
	// rebindTimeout is how long Restart keeps trying to bind the old port.
	rebindTimeout = 30 * time.Second
	// stopGrace is how long Stop lets the apiserver shut down on SIGTERM
	// before it kills it.
	stopGrace = 10 * time.Second
	// logTailLines of a server's log go into error messages.
	logTailLines = 40
)

// Options configure one cluster.
type Options struct {
	// Name of the cluster: the kubeconfig's context, cluster and user
	// name. Default "cluster-N" (N counts clusters in the test binary);
	// StartMany makes it Name-1 … Name-n.
	Name string
	// CRDs to install before Start returns, by base name in deploy/crds
	// (e.g. "postgresql.cnpg.io_clusters.yaml"). See InstallCRDs.
	CRDs []string
	// RBAC sets --authorization-mode=RBAC; otherwise it is AlwaysAllow
	// and every authenticated user may do everything.
	RBAC bool
	// Users are extra static-token users, name → groups, for RBAC
	// tests. A user's bearer token is "token-"+name (UserConfig).
	Users map[string][]string
}

// Cluster is a running kube-apiserver with its etcd.
type Cluster struct {
	Name string
	// URL is https://127.0.0.1:PORT; it stays the same across Restart.
	URL string
	// CAData is the PEM of the CA that signed the serving certificate.
	CAData []byte
	// AdminToken is the bearer token of a user in system:masters.
	AdminToken string

	users map[string][]string
	bin   string // folder of kube-apiserver and etcd
	dir   string // certificates, token file, etcd data, logs
	port  int
	args  []string // the apiserver's, reused by Restart

	mu        sync.Mutex
	etcd      *process
	apiserver *process // nil while stopped
	frozen    bool
}

var clusterSeq atomic.Int64

// Start starts a cluster for t, ready to serve (/readyz) when it returns,
// with Options.CRDs installed. It is killed when t ends.
func Start(t testing.TB, opts Options) *Cluster {
	t.Helper()
	bin := needAssets(t)
	if opts.Name == "" {
		opts.Name = fmt.Sprintf("cluster-%d", clusterSeq.Add(1))
	}
	c, err := start(t, bin, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(opts.CRDs) > 0 {
		c.InstallCRDs(t, opts.CRDs...)
	}
	return c
}

// StartMany starts n clusters at once, named cluster-1 … cluster-n, or
// Name-1 … Name-n when opts.Name is set. Starting is CPU-bound: on two
// cores three clusters take about twice as long as one.
func StartMany(t testing.TB, n int, opts Options) []*Cluster {
	t.Helper()
	bin := needAssets(t)
	base := opts.Name
	if base == "" {
		base = "cluster"
	}
	cs := make([]*Cluster, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		o := opts
		o.Name = fmt.Sprintf("%s-%d", base, i+1)
		// start only returns errors: t.Fatal must not be called off the
		// test's goroutine. TempDir and Cleanup are safe here.
		wg.Go(func() { cs[i], errs[i] = start(t, bin, o) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if len(opts.CRDs) > 0 {
		for _, c := range cs {
			c.InstallCRDs(t, opts.CRDs...)
		}
	}
	return cs
}

func start(t testing.TB, bin string, opts Options) (*Cluster, error) {
	for name, groups := range opts.Users {
		if err := checkUser(name, groups); err != nil {
			return nil, fmt.Errorf("kubetest: %s: %w", opts.Name, err)
		}
	}
	p, err := loadPKI()
	if err != nil {
		return nil, err
	}
	c := &Cluster{
		Name:       opts.Name,
		CAData:     p.caPEM,
		AdminToken: p.adminToken,
		users:      maps.Clone(opts.Users),
		bin:        bin,
		dir:        t.TempDir(),
	}
	// Registered after t.TempDir, so it runs before the folder is removed.
	t.Cleanup(func() { c.kill(t) })
	if err := c.writeFiles(p); err != nil {
		return nil, fmt.Errorf("kubetest: %s: %w", c.Name, err)
	}
	if err := c.startEtcd(); err != nil {
		return nil, fmt.Errorf("kubetest: %s: %w", c.Name, err)
	}
	authz := "AlwaysAllow"
	if opts.RBAC {
		authz = "RBAC"
	}
	for try := 1; ; try++ {
		port, err := freeport.Loopback()
		if err != nil {
			return nil, err
		}
		c.port = port
		c.URL = "https://127.0.0.1:" + strconv.Itoa(port)
		c.args = c.apiserverArgs(authz)
		inUse, err := c.startAPIServer()
		if err == nil {
			return c, nil
		}
		if !inUse || try == startTries {
			return nil, fmt.Errorf("kubetest: %s: %w", c.Name, err)
		}
	}
}

// apiserverArgs are the kube-apiserver flags. Besides what a server needs
// to run at all (etcd, serving certificate, service account keys, service
// range), they switch off what costs CPU and memory and that nothing in a
// test uses: two cores must carry several servers.
func (c *Cluster) apiserverArgs(authz string) []string {
	f := func(name string) string { return filepath.Join(c.dir, name) }
	return []string{
		"--etcd-servers=" + c.etcd.url,
		// Loopback only, for serving and for what the server advertises.
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(c.port),
		"--tls-cert-file=" + f("apiserver.crt"),
		"--tls-private-key-file=" + f("apiserver.key"),
		"--token-auth-file=" + f("tokens.csv"),
		"--authorization-mode=" + authz,
		"--service-cluster-ip-range=10.0.0.0/24",
		"--service-account-issuer=" + c.URL,
		"--service-account-key-file=" + f("sa.pub"),
		"--service-account-signing-key-file=" + f("sa.key"),
		// No controller creates default ServiceAccounts, so the admission
		// plugin that requires one would refuse every Pod.
		"--disable-admission-plugins=ServiceAccount",
		"--allow-privileged=true",
		// Light: no API priority and fairness (its flow-control
		// bookkeeping and config objects), no profiling endpoints, no
		// master lease renewals into etcd every 10 s, no polling etcd for
		// object counts.
		"--enable-priority-and-fairness=false",
		"--profiling=false",
		"--endpoint-reconciler-type=none",
		"--etcd-count-metric-poll-period=0",
	}
}

// startEtcd starts etcd on two free ports and waits until it is healthy.
func (c *Cluster) startEtcd() error {
	var lastErr error
	for range startTries {
		client, err := freeport.Loopback()
		if err != nil {
			return err
		}
		peer, err := freeport.Loopback()
		if err != nil {
			return err
		}
		if peer == client {
			continue
		}
		clientURL := "http://127.0.0.1:" + strconv.Itoa(client)
		peerURL := "http://127.0.0.1:" + strconv.Itoa(peer)
		p, err := startProcess("etcd", filepath.Join(c.bin, "etcd"), []string{
			"--name=kubetest",
			"--data-dir=" + filepath.Join(c.dir, "etcd"),
			"--listen-client-urls=" + clientURL,
			"--advertise-client-urls=" + clientURL,
			"--listen-peer-urls=" + peerURL,
			"--initial-advertise-peer-urls=" + peerURL,
			"--initial-cluster=kubetest=" + peerURL,
			// A test's data need not survive a power cut.
			"--unsafe-no-fsync=true",
			// Small: a test stores little; the defaults are sized for
			// production (2 GiB quota, 10,000 entries kept in memory).
			"--quota-backend-bytes=268435456",
			"--snapshot-count=5000",
			"--log-level=warn",
		}, filepath.Join(c.dir, "etcd.log"))
		if err != nil {
			return err
		}
		p.url = clientURL
		lastErr = p.waitReady(readyTimeout, func(ctx context.Context) error {
			return get(ctx, plainClient, clientURL+"/health", "", `"health":"true"`)
		})
		if lastErr == nil {
			c.etcd = p
			return nil
		}
		p.kill()
		if !p.addrInUse() {
			return lastErr
		}
	}
	return lastErr
}

// startAPIServer starts kube-apiserver with c.args and waits for /readyz.
// inUse reports a failure because the port was taken.
func (c *Cluster) startAPIServer() (inUse bool, err error) {
	p, err := startProcess("kube-apiserver", filepath.Join(c.bin, "kube-apiserver"), c.args, filepath.Join(c.dir, "kube-apiserver.log"))
	if err != nil {
		return false, err
	}
	hc := c.httpClient()
	err = p.waitReady(readyTimeout, func(ctx context.Context) error {
		return get(ctx, hc, c.URL+"/readyz", c.AdminToken, "")
	})
	if err != nil {
		p.kill()
		return p.addrInUse(), err
	}
	c.mu.Lock()
	c.apiserver = p
	c.mu.Unlock()
	return false, nil
}

// Config returns a client config of the admin (system:masters). Its rate
// limit is raised above client-go's default (5 QPS) so that test setup is
// not throttled.
func (c *Cluster) Config() *rest.Config {
	return c.config(c.AdminToken)
}

// UserConfig returns a client config of a user of Options.Users. It panics
// for any other name: that is a mistake in the test.
func (c *Cluster) UserConfig(user string) *rest.Config {
	if _, ok := c.users[user]; !ok {
		panic(fmt.Sprintf("kubetest: %s has no user %q (Options.Users)", c.Name, user))
	}
	return c.config(userToken(user))
}

func (c *Cluster) config(token string) *rest.Config {
	return &rest.Config{
		Host:            c.URL,
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAData: append([]byte(nil), c.CAData...)},
		QPS:             100,
		Burst:           200,
	}
}

// Kubeconfig writes a kubeconfig file with one context, c.Name, of the
// admin (token auth), into t.TempDir(), and returns its path.
func (c *Cluster) Kubeconfig(t testing.TB) string {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[c.Name] = &clientcmdapi.Cluster{Server: c.URL, CertificateAuthorityData: c.CAData}
	cfg.AuthInfos[c.Name] = &clientcmdapi.AuthInfo{Token: c.AdminToken}
	cfg.Contexts[c.Name] = &clientcmdapi.Context{Cluster: c.Name, AuthInfo: c.Name}
	cfg.CurrentContext = c.Name
	path := filepath.Join(t.TempDir(), c.Name+".kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// Stop stops the kube-apiserver (SIGTERM, then SIGKILL after 10 s); etcd
// keeps running with the data. Connections to c.URL are refused until
// Restart. A frozen server is thawed first.
func (c *Cluster) Stop(t testing.TB) {
	t.Helper()
	c.mu.Lock()
	p, frozen := c.apiserver, c.frozen
	c.apiserver, c.frozen = nil, false
	c.mu.Unlock()
	if p == nil {
		t.Fatalf("kubetest: Stop: %s is not running", c.Name)
	}
	if frozen {
		p.signal(syscall.SIGCONT)
	}
	p.stop(stopGrace)
}

// Restart starts the kube-apiserver again, at the same URL with the same
// certificates, tokens and flags, and waits until /readyz answers.
func (c *Cluster) Restart(t testing.TB) {
	t.Helper()
	c.mu.Lock()
	running := c.apiserver != nil
	c.mu.Unlock()
	if running {
		t.Fatalf("kubetest: Restart: %s is running (Stop it first)", c.Name)
	}
	// Go's listeners set SO_REUSEADDR, so connections of the old process
	// left in TIME_WAIT do not block the port; but a client or another
	// test may hold it for a moment, so keep trying for a while.
	deadline := time.Now().Add(rebindTimeout)
	for {
		inUse, err := c.startAPIServer()
		if err == nil {
			return
		}
		if !inUse || time.Now().After(deadline) {
			t.Fatalf("kubetest: Restart %s: %v", c.Name, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// Freeze stops the kube-apiserver with SIGSTOP: the kernel still completes
// TCP handshakes into the listen backlog, but nothing is read or answered,
// like a hung server or a network that drops replies. Requests wait for the
// client's timeout.
func (c *Cluster) Freeze(t testing.TB) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.apiserver == nil || c.frozen {
		t.Fatalf("kubetest: Freeze: %s is stopped or frozen already", c.Name)
	}
	c.apiserver.signal(syscall.SIGSTOP)
	// The signal is delivered asynchronously: wait until the process is
	// really stopped, so the caller's next request surely hangs.
	if err := waitStopped(c.apiserver.pid(), 5*time.Second); err != nil {
		t.Fatalf("kubetest: Freeze %s: %v", c.Name, err)
	}
	c.frozen = true
}

// Thaw resumes a frozen kube-apiserver with SIGCONT.
func (c *Cluster) Thaw(t testing.TB) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.apiserver == nil || !c.frozen {
		t.Fatalf("kubetest: Thaw: %s is not frozen", c.Name)
	}
	c.apiserver.signal(syscall.SIGCONT)
	c.frozen = false
}

// kill ends both processes when the test ends. When the test failed, the
// tails of their logs go to the test's output (the folder is deleted).
func (c *Cluster) kill(t testing.TB) {
	c.mu.Lock()
	api, etcd, frozen := c.apiserver, c.etcd, c.frozen
	c.apiserver, c.etcd, c.frozen = nil, nil, false
	c.mu.Unlock()
	if api != nil {
		if frozen {
			api.signal(syscall.SIGCONT)
		}
		api.kill()
	}
	if etcd != nil {
		etcd.kill()
	}
	if t.Failed() {
		for _, name := range []string{"kube-apiserver.log", "etcd.log"} {
			if tail := logTail(filepath.Join(c.dir, name), 20); tail != "" {
				t.Logf("kubetest: %s: last lines of %s:\n%s", c.Name, name, tail)
			}
		}
	}
}

// httpClient trusts the cluster's CA; used for /readyz.
func (c *Cluster) httpClient() *http.Client {
	tr, err := rest.TransportFor(&rest.Config{TLSClientConfig: rest.TLSClientConfig{CAData: c.CAData}})
	if err != nil {
		panic(err) // only for a bad CA, which loadPKI made
	}
	return &http.Client{Transport: tr, Timeout: 5 * time.Second}
}

// plainClient talks to etcd, plain HTTP on loopback, never through a proxy.
var plainClient = &http.Client{
	Transport: &http.Transport{Proxy: nil, DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext, DisableKeepAlives: true},
	Timeout:   5 * time.Second,
}

// get succeeds when url answers 200 (and the body contains want).
func get(ctx context.Context, hc *http.Client, url, token, want string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var body strings.Builder
	_, _ = copyN(&body, resp.Body, 4096)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, strings.TrimSpace(body.String()))
	}
	if want != "" && !strings.Contains(body.String(), want) {
		return fmt.Errorf("GET %s: %s", url, strings.TrimSpace(body.String()))
	}
	return nil
}

func userToken(user string) string { return "token-" + user }

// checkUser refuses what would break the token file's CSV.
func checkUser(name string, groups []string) error {
	if name == "" || strings.ContainsAny(name, ",\"\n\r") {
		return fmt.Errorf("user name %q: empty, or has a comma, quote or newline", name)
	}
	for _, g := range groups {
		if g == "" || strings.ContainsAny(g, ",\"\n\r") {
			return fmt.Errorf("user %s: group %q: empty, or has a comma, quote or newline", name, g)
		}
	}
	return nil
}

// writeFiles puts the certificates, keys and token file into c.dir.
func (c *Cluster) writeFiles(p *pki) error {
	var tokens strings.Builder
	fmt.Fprintf(&tokens, "%s,%s,%s,\"%s\"\n", p.adminToken, adminUser, adminUser, "system:masters")
	for name, groups := range c.users {
		fmt.Fprintf(&tokens, "%s,%s,%s,\"%s\"\n", userToken(name), name, name, strings.Join(groups, ","))
	}
	files := map[string][]byte{
		"ca.crt":        p.caPEM,
		"apiserver.crt": p.certPEM,
		"apiserver.key": p.keyPEM,
		"sa.key":        p.saKeyPEM,
		"sa.pub":        p.saPubPEM,
		"tokens.csv":    []byte(tokens.String()),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(c.dir, name), data, 0o600); err != nil {
			return err
		}
	}
	return nil
}
