package catalog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// ReaderConfig confines what locations may read.
type ReaderConfig struct {
	// FileRoots are the folders file targets (and their placeholders) must
	// stay inside, after symlinks are resolved. No roots: no file reads.
	FileRoots []string
	// URLHosts are the host names url targets may name (exact match, or
	// "*.example.com" for subdomains). No hosts: no URL reads.
	URLHosts []string
	// AllowPrivateNetworks lets url targets reach loopback, private and
	// link-local addresses. Off by default: it is how SSRF reaches metadata
	// services and internal admin ports.
	AllowPrivateNetworks bool
	// Timeout bounds one URL read. Default 30 s.
	Timeout time.Duration
	// MaxBytes bounds one read (file or URL). Default: Limits.MaxFileBytes.
	MaxBytes int64
}

// ReadError is a refused or failed read; Field says which input was wrong
// ("target" for a location target, or the placeholder's field path).
type ReadError struct {
	Field    string
	Reason   string
	NotFound bool // the target does not exist (a deleted file, a 404)
}

func (e *ReadError) Error() string { return e.Field + ": " + e.Reason }

// Reader reads location targets within the configured confinement.
type Reader struct {
	cfg    ReaderConfig
	roots  []string
	client *http.Client
}

// NewReader resolves the roots and builds an HTTP client that checks every
// address it dials (so DNS rebinding cannot slip past a check made earlier)
// and never follows a redirect.
func NewReader(cfg ReaderConfig) (*Reader, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultLimits().MaxFileBytes
	}
	r := &Reader{cfg: cfg}
	for _, root := range cfg.FileRoots {
		abs, err := filepath.Abs(root)
		if err != nil {
			return nil, fmt.Errorf("catalog.files.roots: %w", err)
		}
		real, err := filepath.EvalSymlinks(abs)
		if err != nil {
			return nil, fmt.Errorf("catalog.files.roots: %s: %w", root, err)
		}
		r.roots = append(r.roots, real)
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, Control: r.checkDial}
	transport := &http.Transport{
		Proxy:                 nil, // a proxy would dial for us, past the address check
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: cfg.Timeout,
		MaxIdleConnsPerHost:   4,
	}
	r.client = &http.Client{
		Transport: transport,
		Timeout:   cfg.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			return &ReadError{Field: "target", Reason: fmt.Sprintf("the server redirected to %s; redirects are not followed", req.URL.Redacted())}
		},
	}
	return r, nil
}

// checkDial refuses loopback, private, link-local and other special
// addresses unless configured; it runs for the address actually dialled.
func (r *Reader) checkDial(network, address string, _ syscall.RawConn) error {
	if r.cfg.AllowPrivateNetworks {
		return nil
	}
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("dial %s: not an IP address", address)
	}
	if !PublicAddr(ip) {
		return &ReadError{Field: "target", Reason: fmt.Sprintf("address %s is private, loopback or link-local; reading from it is not allowed", ip)}
	}
	return nil
}

// PublicAddr tells whether ip is a public unicast address.
func PublicAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsMulticast() || ip.IsUnspecified() || ip.IsInterfaceLocalMulticast() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"), // NAT64 can reach IPv4 private space
	netip.MustParsePrefix("2002::/16"),    // 6to4 embeds IPv4
}

// CheckTarget validates a location target of a type without reading it.
func (r *Reader) CheckTarget(typ, target string) error {
	switch typ {
	case "file":
		_, err := r.confineFile(target)
		return err
	case "url":
		_, err := r.checkURL(target)
		return err
	default:
		return &ReadError{Field: "type", Reason: fmt.Sprintf("unknown location type %q (want file or url)", typ)}
	}
}

// confineFile resolves a path (symlinks included) and refuses it unless it
// lies inside a configured root.
func (r *Reader) confineFile(path string) (string, error) {
	if strings.HasPrefix(path, "file:") {
		return "", &ReadError{Field: "target", Reason: "must be a plain absolute path, not a file: URL"}
	}
	if !filepath.IsAbs(path) {
		return "", &ReadError{Field: "target", Reason: "must be an absolute path"}
	}
	if len(r.roots) == 0 {
		return "", &ReadError{Field: "target", Reason: "file locations are disabled: no catalog.files.roots configured"}
	}
	clean := filepath.Clean(path)
	if !r.insideRoots(clean) {
		return "", &ReadError{Field: "target", Reason: "is outside the configured file roots"}
	}
	real, err := filepath.EvalSymlinks(clean)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", &ReadError{Field: "target", Reason: "does not exist (or is a dangling symlink)", NotFound: true}
		}
		return "", &ReadError{Field: "target", Reason: "cannot be resolved"}
	}
	if !r.insideRoots(real) {
		return "", &ReadError{Field: "target", Reason: "leads outside the configured file roots through a symlink"}
	}
	return real, nil
}

func (r *Reader) insideRoots(p string) bool {
	for _, root := range r.roots {
		if p == root || strings.HasPrefix(p, root+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// checkURL refuses schemes other than http(s), hosts not allow-listed and
// literal addresses that are not public.
func (r *Reader) checkURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, &ReadError{Field: "target", Reason: "is not an absolute URL"}
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, &ReadError{Field: "target", Reason: fmt.Sprintf("scheme %q is not allowed (want http or https)", u.Scheme)}
	}
	if u.User != nil {
		return nil, &ReadError{Field: "target", Reason: "must not carry credentials"}
	}
	host := strings.ToLower(u.Hostname())
	if !r.hostAllowed(host) {
		return nil, &ReadError{Field: "target", Reason: fmt.Sprintf("host %q is not in catalog.urls.allowedHosts", host)}
	}
	if r.cfg.AllowPrivateNetworks {
		return u, nil
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if !PublicAddr(ip) {
			return nil, &ReadError{Field: "target", Reason: fmt.Sprintf("address %s is private, loopback or link-local", ip)}
		}
		return u, nil
	}
	// Hosts like 2130706433 or 0x7f000001 are addresses in disguise, read
	// differently by different resolvers: refuse them outright.
	if numericHost.MatchString(host) {
		return nil, &ReadError{Field: "target", Reason: fmt.Sprintf("host %q is a numeric address that is not written as a plain IP", host)}
	}
	// A name that resolves to an internal address is refused now, with a
	// clear answer; the dial-time check still guards against rebinding.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return nil, &ReadError{Field: "target", Reason: fmt.Sprintf("host %q does not resolve", host)}
	}
	for _, ip := range addrs {
		if !PublicAddr(ip) {
			return nil, &ReadError{Field: "target", Reason: fmt.Sprintf("host %q resolves to %s, a private, loopback or link-local address", host, ip)}
		}
	}
	return u, nil
}

// numericHost matches host names made only of digits, dots and hex
// notation, which some resolvers read as IPv4 addresses.
var numericHost = regexp.MustCompile(`^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+))*\.?$`)

func (r *Reader) hostAllowed(host string) bool {
	for _, h := range r.cfg.URLHosts {
		h = strings.ToLower(h)
		if h == host {
			return true
		}
		if strings.HasPrefix(h, "*.") && strings.HasSuffix(host, h[1:]) {
			return true
		}
	}
	return false
}

// Read reads a target of a type, confined and size-capped; it returns the
// canonical name of what it read (resolved path or URL).
func (r *Reader) Read(ctx context.Context, typ, target string) ([]byte, string, error) {
	switch typ {
	case "file":
		real, err := r.confineFile(target)
		if err != nil {
			return nil, "", err
		}
		f, err := os.Open(real)
		if err != nil {
			return nil, "", &ReadError{Field: "target", Reason: "cannot be opened"}
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil && !st.Mode().IsRegular() {
			return nil, "", &ReadError{Field: "target", Reason: "is not a regular file"}
		}
		data, err := r.readCapped(f)
		return data, real, err
	case "url":
		u, err := r.checkURL(target)
		if err != nil {
			return nil, "", err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return nil, "", &ReadError{Field: "target", Reason: "is not a valid URL"}
		}
		resp, err := r.client.Do(req)
		if err != nil {
			var re *ReadError
			if errors.As(err, &re) {
				return nil, "", re
			}
			return nil, "", &ReadError{Field: "target", Reason: fmt.Sprintf("cannot be fetched: %v", stripURL(err))}
		}
		defer resp.Body.Close()
		if resp.StatusCode == http.StatusNotFound {
			return nil, "", &ReadError{Field: "target", Reason: "the server answered 404 Not Found", NotFound: true}
		}
		if resp.StatusCode != http.StatusOK {
			return nil, "", &ReadError{Field: "target", Reason: fmt.Sprintf("the server answered %s", resp.Status)}
		}
		data, err := r.readCapped(resp.Body)
		return data, u.String(), err
	default:
		return nil, "", &ReadError{Field: "type", Reason: fmt.Sprintf("unknown location type %q (want file or url)", typ)}
	}
}

func (r *Reader) readCapped(src io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(src, r.cfg.MaxBytes+1))
	if err != nil {
		return nil, &ReadError{Field: "target", Reason: fmt.Sprintf("read failed: %v", stripURL(err))}
	}
	if int64(len(data)) > r.cfg.MaxBytes {
		return nil, &ReadError{Field: "target", Reason: fmt.Sprintf("is too large (over %d bytes)", r.cfg.MaxBytes)}
	}
	return data, nil
}

// stripURL keeps url.Error from echoing the URL (it may carry a token).
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Resolve turns a target written in a descriptor (relative or absolute)
// into a target of the same type, relative to the file that names it.
func Resolve(typ, base, target string) (string, error) {
	switch typ {
	case "file":
		if strings.Contains(target, "://") || strings.HasPrefix(target, "file:") {
			return "", &ReadError{Field: "target", Reason: "a file location may only name paths"}
		}
		if filepath.IsAbs(target) {
			return filepath.Clean(target), nil
		}
		return filepath.Join(filepath.Dir(base), target), nil
	case "url":
		b, err := url.Parse(base)
		if err != nil {
			return "", &ReadError{Field: "target", Reason: "base is not a URL"}
		}
		t, err := url.Parse(target)
		if err != nil {
			return "", &ReadError{Field: "target", Reason: "is not a URL"}
		}
		return b.ResolveReference(t).String(), nil
	}
	return "", &ReadError{Field: "type", Reason: fmt.Sprintf("unknown location type %q", typ)}
}

// SameOrigin tells whether two URL targets share scheme and host, the
// confinement of placeholders in url locations.
func SameOrigin(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && ua.Scheme == ub.Scheme && strings.EqualFold(ua.Host, ub.Host)
}
