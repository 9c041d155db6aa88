package operators

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/pont-dev/pont/plugins"
)

// Readers of unstructured content. An object decoded from JSON holds
// map[string]any, []any, string, bool, float64 or int64 (the apiserver's
// decoder keeps integers as int64, encoding/json gives float64, YAML may
// give int); anything may be missing or of another type than the CRD says,
// because the object comes from a cluster Pont does not control. Every
// reader therefore answers a zero value (and false) instead of failing.

// get walks obj along path, through maps only.
func get(obj map[string]any, path ...string) (any, bool) {
	var cur any = obj
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// str is the string at path ("" when missing or not a string).
func str(obj map[string]any, path ...string) string {
	v, _ := get(obj, path...)
	s, _ := v.(string)
	return s
}

// mapAt is the object at path (nil when missing or not an object).
func mapAt(obj map[string]any, path ...string) map[string]any {
	v, _ := get(obj, path...)
	m, _ := v.(map[string]any)
	return m
}

// maps is the list at path, keeping only its object items.
func maps(obj map[string]any, path ...string) []map[string]any {
	v, _ := get(obj, path...)
	l, _ := v.([]any)
	out := make([]map[string]any, 0, len(l))
	for _, item := range l {
		if m, ok := item.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// strs is the list at path, keeping only its string items.
func strs(obj map[string]any, path ...string) []string {
	v, _ := get(obj, path...)
	l, _ := v.([]any)
	var out []string
	for _, item := range l {
		if s, ok := item.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// sortedKeys are the keys of the object at path, sorted (map order is
// random and the normalized state must be stable).
func sortedKeys(obj map[string]any, path ...string) []string {
	m := mapAt(obj, path...)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// toInt reads a count. Integers arrive as int64 from the apiserver, as
// float64 through encoding/json and as strings when a manifest quoted
// them; a value that is not a whole number in int range is not a count.
func toInt(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int32:
		return int(n), true
	case int64:
		if n < math.MinInt || n > math.MaxInt {
			return 0, false
		}
		return int(n), true
	case float64:
		if n != math.Trunc(n) || n < math.MinInt32 || n > math.MaxInt32 {
			return 0, false
		}
		return int(n), true
	case string:
		i, err := strconv.Atoi(strings.TrimSpace(n))
		if err != nil {
			return 0, false
		}
		return i, true
	}
	return 0, false
}

// integer is the count at path.
func integer(obj map[string]any, path ...string) (int, bool) {
	v, ok := get(obj, path...)
	if !ok {
		return 0, false
	}
	return toInt(v)
}

// intOr is the count at path, or def when there is none.
func intOr(obj map[string]any, def int, path ...string) int {
	if n, ok := integer(obj, path...); ok {
		return n
	}
	return def
}

// boolean reads a flag, accepting "true"/"false" strings too.
func boolean(obj map[string]any, path ...string) (bool, bool) {
	v, ok := get(obj, path...)
	if !ok {
		return false, false
	}
	switch b := v.(type) {
	case bool:
		return b, true
	case string:
		if p, err := strconv.ParseBool(strings.TrimSpace(b)); err == nil {
			return p, true
		}
	}
	return false, false
}

// isTrue is a flag that is set and true.
func isTrue(obj map[string]any, path ...string) bool {
	b, ok := boolean(obj, path...)
	return ok && b
}

// quantity reads a resource quantity as written ("10Gi"). A number is a
// quantity too (storage: 1073741824).
func quantity(obj map[string]any, path ...string) string {
	v, _ := get(obj, path...)
	switch q := v.(type) {
	case string:
		return strings.TrimSpace(q)
	case int, int32, int64:
		n, _ := toInt(q)
		return strconv.Itoa(n)
	case float64:
		if math.IsNaN(q) || math.IsInf(q, 0) {
			return ""
		}
		return strconv.FormatFloat(q, 'f', -1, 64)
	}
	return ""
}

// pvcStorage is the storage request of a PersistentVolumeClaim spec.
func pvcStorage(spec map[string]any) string {
	return quantity(spec, "resources", "requests", "storage")
}

// intp makes an optional count.
func intp(n int) *int { return &n }

// sumOpt adds optional counts; nil when none of them says anything.
func sumOpt(ns ...*int) *int {
	var total *int
	for _, n := range ns {
		if n == nil {
			continue
		}
		if total == nil {
			total = intp(0)
		}
		*total += *n
	}
	return total
}

// name is the object's metadata.name.
func name(obj map[string]any) string { return str(obj, "metadata", "name") }

// statusOf is the object's status, or nil when the operator has written
// none (missing, not an object, or empty).
func statusOf(obj map[string]any) map[string]any {
	st := mapAt(obj, "status")
	if len(st) == 0 {
		return nil
	}
	return st
}

// stale says whether the status describes an older generation of the
// spec than the current one: the operator has not caught up with an edit.
func stale(obj map[string]any, statusPath ...string) bool {
	gen, ok := integer(obj, "metadata", "generation")
	if !ok {
		return false
	}
	observed, ok := integer(obj, statusPath...)
	return ok && observed < gen
}

// condition finds the condition of type t in the list at path (conditions
// in status.conditions follow metav1.Condition: type, status, reason,
// message).
func condition(obj map[string]any, t string, path ...string) map[string]any {
	if len(path) == 0 {
		path = []string{"status", "conditions"}
	}
	for _, c := range maps(obj, path...) {
		if str(c, "type") == t {
			return c
		}
	}
	return nil
}

// condMessage is what a condition says: its message, else its reason.
func condMessage(c map[string]any) string {
	if m := str(c, "message"); m != "" {
		return m
	}
	return str(c, "reason")
}

// addName appends a name once, skipping empty ones: lists of Services
// and Secrets are built from several sources that may repeat a name.
func addName(list []string, names ...string) []string {
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		dup := false
		for _, have := range list {
			if have == n {
				dup = true
				break
			}
		}
		if !dup {
			list = append(list, n)
		}
	}
	return list
}

// imageVersion reads the version an image reference carries in its tag:
// "ghcr.io/cloudnative-pg/postgresql:16.4" → "16.4",
// "registry:5000/redis:v7.2.4@sha256:…" → "7.2.4". A registry port is not
// a tag (the tag is after the last "/"), a digest is dropped, and a
// leading "v" before a digit is dropped so that "v7.2.4" and "7.2.4"
// read the same. An image without a tag (or only a digest) has no version
// to read: "".
func imageVersion(image string) string {
	image = strings.TrimSpace(image)
	if i := strings.Index(image, "@"); i >= 0 {
		image = image[:i]
	}
	last := image
	if i := strings.LastIndex(image, "/"); i >= 0 {
		last = image[i+1:]
	}
	i := strings.LastIndex(last, ":")
	if i < 0 {
		return ""
	}
	return trimV(last[i+1:])
}

// trimV drops the "v" of "v7.2.4" (OT redis, Dragonfly, Vitess images).
func trimV(v string) string {
	if len(v) > 1 && (v[0] == 'v' || v[0] == 'V') && v[1] >= '0' && v[1] <= '9' {
		return v[1:]
	}
	return v
}

// sensitiveKeys are query parameters that may carry a credential; an
// Endpoint keeps none of them.
var sensitiveKeys = []string{"pass", "pwd", "secret", "token", "key", "credential", "auth"}

// cleanEndpoint makes a host or URI safe to show: the userinfo of a URI
// ("mongodb://user:pass@host") is removed, and so is every query
// parameter whose name hints at a credential. Credentials may be written
// without escaping ('@', '/' or '?' inside a password), so the cut is
// made at the last '@', and a last check removes anything up to an '@'
// that survived: an Endpoint never holds one.
func cleanEndpoint(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	scheme, rest := "", s
	if i := strings.Index(s, "://"); i >= 0 {
		scheme, rest = s[:i+3], s[i+3:]
	}
	end := strings.IndexAny(rest, "?#")
	if end < 0 {
		end = len(rest)
	}
	if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
		rest = rest[at+1:]
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		rest = rest[at+1:]
	}
	rest = dropSensitiveQuery(rest)
	return scheme + rest
}

// dropSensitiveQuery removes credential-like parameters from a query.
func dropSensitiveQuery(s string) string {
	q := strings.Index(s, "?")
	if q < 0 {
		return s
	}
	base, query, frag := s[:q], s[q+1:], ""
	if h := strings.Index(query, "#"); h >= 0 {
		query, frag = query[:h], query[h:]
	}
	var kept []string
	for _, kv := range strings.FieldsFunc(query, func(r rune) bool { return r == '&' || r == ';' }) {
		key := strings.ToLower(kv)
		if i := strings.Index(key, "="); i >= 0 {
			key = key[:i]
		}
		sensitive := false
		for _, w := range sensitiveKeys {
			if strings.Contains(key, w) {
				sensitive = true
				break
			}
		}
		// authSource / authMechanism name a database and a method, not a
		// credential: keep them, they matter to whoever connects.
		if key == "authsource" || key == "authmechanism" {
			sensitive = false
		}
		if !sensitive {
			kept = append(kept, kv)
		}
	}
	if len(kept) == 0 {
		return base + frag
	}
	return base + "?" + strings.Join(kept, "&") + frag
}

// redact cleans free text an operator wrote (a phase reason, an error)
// before it becomes a Message. Operators sometimes quote a connection
// string in an error: the userinfo of a URI ("postgresql://u:p@host") or
// of a DSN ("root:pw@tcp(host)") is removed, and the value after
// "password=" / "password:" is masked.
func redact(msg string) string {
	msg = strings.TrimSpace(msg)
	if msg == "" {
		return ""
	}
	words := strings.FieldsFunc(msg, unicode.IsSpace)
	changed := false
	maskNext := false
	for i, w := range words {
		if maskNext {
			words[i], maskNext, changed = "***", false, true
			continue
		}
		if r := redactWord(w); r != w {
			words[i], changed = r, true
			continue
		}
		lw := strings.ToLower(w)
		for _, k := range []string{"password=", "password:", "passwd=", "passwd:", "pwd="} {
			if j := strings.Index(lw, k); j >= 0 {
				if j+len(k) < len(w) {
					words[i], changed = w[:j+len(k)]+"***", true
				} else {
					maskNext = true // "password: value"
				}
				break
			}
		}
	}
	if !changed {
		return msg
	}
	return strings.Join(words, " ")
}

// redactWord removes the userinfo of one word: a URI's, or a DSN's
// "user:password@" (an '@' after a ':'); an e-mail address is left alone.
func redactWord(w string) string {
	at := strings.LastIndex(w, "@")
	if at < 0 {
		return w
	}
	if strings.Contains(w, "://") {
		return cleanEndpoint(w)
	}
	head := w[:at]
	if c := strings.Index(head, ":"); c >= 0 {
		// Keep what precedes the user (a quote, a bracket, "dsn=").
		start := strings.LastIndexAny(head[:c], "\"'(=[<") + 1
		return w[:start] + w[at+1:]
	}
	return w
}

// unknown is the state of a resource whose status says nothing (yet).
func unknown(st plugins.DatabaseState, why string) plugins.DatabaseState {
	st.Health = plugins.HealthUnknown
	if st.Message == "" {
		st.Message = why
	}
	return st
}

// noStatus is the Message of a resource the operator has not reported on:
// just created, or the operator is not running.
const noStatus = "the operator has reported no status yet"
