package kubernetes

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/pont-dev/pont/internal/config"
)

// restConfigFor turns a configured cluster into a client configuration:
// from a kubeconfig file and context, from the pod Pont runs in, or from a
// server URL with a token or client certificate.
func restConfigFor(cl config.KubernetesCluster) (*rest.Config, error) {
	switch {
	case cl.Kubeconfig != "":
		rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: cl.Kubeconfig}
		overrides := &clientcmd.ConfigOverrides{CurrentContext: cl.Context}
		rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
		if err != nil {
			return nil, fmt.Errorf("kubeconfig %s: %w", cl.Kubeconfig, err)
		}
		return rc, nil
	case cl.InCluster:
		return rest.InClusterConfig()
	case cl.Server != "":
		rc := &rest.Config{
			Host:            cl.Server,
			BearerToken:     cl.Token,
			BearerTokenFile: cl.TokenFile,
			TLSClientConfig: rest.TLSClientConfig{CAFile: cl.CAFile, CertFile: cl.ClientCertFile, KeyFile: cl.ClientKeyFile},
		}
		return rc, nil
	}
	return nil, errors.New("needs kubeconfig, inCluster or server")
}

// Argo CD cluster Secrets: label argocd.argoproj.io/secret-type=cluster,
// keys name, server and config (JSON). Pont reads the bearer token, basic
// auth and TLS settings; exec and cloud providers' auth are not supported
// and say so on the cluster.
const argoCDClusterLabel = "argocd.argoproj.io/secret-type=cluster"

// argoConfig is the config key of an Argo CD cluster Secret.
type argoConfig struct {
	BearerToken     string `json:"bearerToken"`
	Username        string `json:"username"`
	Password        string `json:"password"`
	TLSClientConfig struct {
		Insecure   bool   `json:"insecure"`
		ServerName string `json:"serverName"`
		CAData     string `json:"caData"`
		CertData   string `json:"certData"`
		KeyData    string `json:"keyData"`
	} `json:"tlsClientConfig"`
	ExecProviderConfig json.RawMessage `json:"execProviderConfig"`
	AWSAuthConfig      json.RawMessage `json:"awsAuthConfig"`
}

// argoCluster is one cluster read from a Secret.
type argoCluster struct {
	name   string
	secret string // namespace/name
	rc     *rest.Config
	hash   [32]byte // of the Secret's data: a change restarts the watch
}

// parseArgoSecret reads a cluster Secret's data. Errors name the key and
// never include a value.
func parseArgoSecret(secret string, data map[string][]byte) (*argoCluster, error) {
	server := string(data["server"])
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("secret %s: key server: %q is not an API server URL", secret, server)
	}
	name := string(data["name"])
	if name == "" {
		name = u.Host
	}
	var cfg argoConfig
	if raw := data["config"]; len(raw) > 0 {
		if err := json.Unmarshal(raw, &cfg); err != nil {
			return nil, fmt.Errorf("secret %s: key config: not JSON", secret)
		}
	}
	if len(cfg.ExecProviderConfig) > 0 || len(cfg.AWSAuthConfig) > 0 {
		return nil, fmt.Errorf("secret %s: key config: exec and AWS authentication are not supported; use a bearer token or a client certificate", secret)
	}
	rc := &rest.Config{Host: server, BearerToken: cfg.BearerToken, Username: cfg.Username, Password: cfg.Password}
	tls := cfg.TLSClientConfig
	rc.Insecure, rc.ServerName = tls.Insecure, tls.ServerName
	for _, f := range []struct {
		key string
		in  string
		out *[]byte
	}{{"caData", tls.CAData, &rc.CAData}, {"certData", tls.CertData, &rc.CertData}, {"keyData", tls.KeyData, &rc.KeyData}} {
		if f.in == "" {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(f.in)
		if err != nil {
			return nil, fmt.Errorf("secret %s: key config: tlsClientConfig.%s is not base64", secret, f.key)
		}
		*f.out = b
	}
	h := sha256.New()
	for _, k := range []string{"name", "server", "config"} {
		h.Write([]byte(k))
		h.Write(data[k])
		h.Write([]byte{0})
	}
	c := &argoCluster{name: name, secret: secret, rc: rc}
	copy(c.hash[:], h.Sum(nil))
	return c, nil
}

// watchArgoCD reads the cluster Secrets of the configured namespace every
// probe interval and starts, restarts and stops the watches to match.
// Secret data is read here only: it never sits in an informer's cache.
func (p *Plugin) watchArgoCD(ctx context.Context, home *rest.Config) {
	client, err := kubernetes.NewForConfig(home)
	if err != nil {
		p.log.Error("argocd cluster secrets: client", "err", err)
		return
	}
	ns := p.cfg.ArgoCD.Namespace
	known := map[string]*argoCluster{}
	configured := map[string]bool{}
	for _, cl := range p.cfg.Clusters {
		configured[cl.Name] = true
	}
	tick := time.NewTicker(p.cfg.ProbeInterval)
	defer tick.Stop()
	for {
		lctx, cancel := context.WithTimeout(ctx, p.cfg.RequestTimeout)
		list, err := client.CoreV1().Secrets(ns).List(lctx, metav1.ListOptions{LabelSelector: argoCDClusterLabel})
		cancel()
		if err != nil {
			p.log.Warn("argocd cluster secrets: list failed; keeping the clusters known", "namespace", ns, "err", err)
		} else {
			seen := map[string]bool{}
			for i := range list.Items {
				s := &list.Items[i]
				c, err := parseArgoSecret(s.Namespace+"/"+s.Name, s.Data)
				if err != nil {
					p.log.Warn("argocd cluster secret skipped", "err", err)
					continue
				}
				if configured[c.name] {
					p.log.Warn("argocd cluster secret names a configured cluster; configuration wins", "cluster", c.name, "secret", c.secret)
					continue
				}
				seen[c.name] = true
				if old := known[c.name]; old != nil && old.hash == c.hash {
					continue
				}
				known[c.name] = c
				p.AddCluster(c.name, c.rc, "argocd:"+c.secret, p.cfg.Owner)
			}
			for name := range known {
				if !seen[name] {
					delete(known, name)
					p.RemoveCluster(name)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
