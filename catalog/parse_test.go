package catalog

import (
	"encoding/json"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestParseMultiDocumentWithLines(t *testing.T) {
	src := `# leading comment
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  links:
    - url: https://example.com
spec:
  owner: team-a
---
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: payments-api
---
`
	docs, err := Parse("catalog-info.yaml", []byte(src), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 2 {
		t.Fatalf("got %d documents, want 2 (empty ones skipped)", len(docs))
	}
	first, second := docs[0], docs[1]
	if first.File != "catalog-info.yaml" || first.Index != 0 || first.Line != 2 {
		t.Errorf("first document: file %q index %d line %d", first.File, first.Index, first.Line)
	}
	// The empty document between the two separators keeps its index.
	if second.Index != 2 || second.Line != 11 {
		t.Errorf("second document: index %d line %d, want 2 and 11", second.Index, second.Line)
	}
	wantLines := map[string]int{
		"apiVersion":            2,
		"metadata":              4,
		"metadata.name":         5,
		"metadata.links":        6,
		"metadata.links[0]":     7,
		"metadata.links[0].url": 7,
		"spec.owner":            9,
	}
	for path, line := range wantLines {
		if got := first.Lines[path]; got != line {
			t.Errorf("Lines[%q] = %d, want %d", path, got, line)
		}
	}
	if got := second.Lines["metadata.name"]; got != 15 {
		t.Errorf("second Lines[metadata.name] = %d, want 15", got)
	}
	name := first.Object["metadata"].(map[string]any)["name"]
	if name != "payments" {
		t.Errorf("metadata.name = %v", name)
	}
}

func TestParseScalarTypes(t *testing.T) {
	src := `a: on
b: yes
c: 123
d: 1.5
e: true
f: ~
g: 2001-12-14
h: "123"
i: 0x1F
j: 18446744073709551615
k: 1e3
l: !!str 12
m: !custom value
n: ""
o:
`
	docs, err := Parse("t.yaml", []byte(src), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	got := docs[0].Object
	want := map[string]any{
		"a": "on", "b": "yes", // YAML 1.2: not booleans
		"c": int64(123), "d": 1.5, "e": true, "f": nil,
		"g": "2001-12-14", // timestamps stay strings, as in JSON
		"h": "123", "i": int64(31),
		"j": float64(18446744073709551615), // beyond int64
		"k": float64(1000), "l": "12", "m": "value", "n": "", "o": nil,
	}
	for k, w := range want {
		if g := got[k]; g != w {
			t.Errorf("%s = %#v (%T), want %#v (%T)", k, g, g, w, w)
		}
	}
}

func TestParseMergeKeyIsPlainKey(t *testing.T) {
	// YAML 1.2 (and Backstage's parser) has no merge keys: "<<" is a key.
	docs, err := Parse("t.yaml", []byte("base: &b {x: 1}\n<<: *b\n"), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := docs[0].Object["<<"].(map[string]any); !ok {
		t.Errorf(`"<<" = %#v, want the aliased mapping`, docs[0].Object["<<"])
	}
	if _, ok := docs[0].Object["x"]; ok {
		t.Error("merge key was merged")
	}
}

func TestParseAliasesExpand(t *testing.T) {
	src := `metadata:
  links: &links
    - url: https://example.com
spec:
  links: *links
`
	docs, err := Parse("t.yaml", []byte(src), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(docs[0].Object)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"metadata":{"links":[{"url":"https://example.com"}]},"spec":{"links":[{"url":"https://example.com"}]}}`; string(b) != want {
		t.Errorf("got %s", b)
	}
	if docs[0].Lines["spec.links[0].url"] != 3 {
		t.Errorf("lines inside an expanded alias point at the anchor: got %d", docs[0].Lines["spec.links[0].url"])
	}
}

// aliasBomb is the "billion laughs" of YAML: 9 anchors each referring 9
// times to the previous one, 9^9 nodes once expanded (k8s CVE-2019-11253).
func aliasBomb() string {
	var b strings.Builder
	b.WriteString("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n")
	prev := "a"
	for _, name := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		b.WriteString(name + ": &" + name + " [")
		for j := 0; j < 9; j++ {
			if j > 0 {
				b.WriteString(",")
			}
			b.WriteString("*" + prev)
		}
		b.WriteString("]\n")
		prev = name
	}
	return b.String()
}

func TestParseRefuses(t *testing.T) {
	lim := DefaultLimits()
	small := Limits{MaxFileBytes: 100, MaxDocuments: 3, MaxDepth: 4, MaxNodes: 50}
	tests := []struct {
		name     string
		src      string
		lim      Limits
		wantLine int    // 0: not checked
		want     string // substring of the error
		field    string // FieldError.Field of the first error, when set
	}{
		{name: "alias bomb 9x9", src: aliasBomb(), lim: lim, want: "document contains excessive aliasing"},
		{name: "1 MB of [", src: strings.Repeat("[", 1<<20), lim: lim, want: "too deeply nested"},
		{name: "deep [ within budget", src: strings.Repeat("[", 20000), lim: Limits{MaxNodes: 1 << 20, MaxFileBytes: 1 << 20}, want: "exceeded max depth of 10000"},
		{name: "file one byte over the limit", src: strings.Repeat("#", 101), lim: small, want: "file is too large: more than 100 bytes"},
		{name: "duplicate key", src: "metadata:\n  name: a\n  name: b\n", lim: lim, wantLine: 3, field: "metadata.name", want: `duplicate key "name" (first defined on line 2)`},
		{name: "too many documents", src: "a: 1\n---\na: 2\n---\na: 3\n---\na: 4\n", lim: small, want: "more than 3 documents"},
		{name: "too many empty documents", src: strings.Repeat("---\n", 5), lim: small, want: "more than 3 empty documents"},
		{name: "nesting too deep", src: "a: {b: {c: {d: {e: 1}}}}\n", lim: small, field: "a.b.c.d", want: "nesting is deeper than 4 levels"},
		{name: "too many nodes without aliases", src: "a: [" + strings.Repeat("1,", 60) + "1]\n", lim: Limits{MaxNodes: 50}, want: "document has more than 50 YAML nodes"},
		{name: "alias cycle", src: "a: &x [*x]\n", lim: lim, want: "refers to a node that contains it"},
		{name: "integer key", src: "123: x\n", lim: lim, wantLine: 1, want: `mapping key "123" is not a string`},
		{name: "boolean key", src: "true: x\n", lim: lim, want: `mapping key "true" is not a string`},
		{name: "null key", src: "~: x\n", lim: lim, want: "is not a string"},
		{name: "complex key", src: "? [a]\n: x\n", lim: lim, want: "mapping key a list is not a string"},
		{name: "not a mapping", src: "- a\n- b\n", lim: lim, want: "a document must be a mapping"},
		{name: "scalar document", src: "hello\n", lim: lim, want: "a document must be a mapping"},
		{name: "NaN", src: "a: .nan\n", lim: lim, field: "a", want: "not a finite number"},
		{name: "infinity", src: "a: -.inf\n", lim: lim, want: "not a finite number"},
		{name: "bad explicit tag", src: "a: !!int 1.5\n", lim: lim, want: `"1.5" is not an integer`},
		{name: "syntax error", src: "a: b\n c: d\n", lim: lim, wantLine: 2, want: "invalid YAML"},
		{name: "unknown anchor", src: "a: *nope\n", lim: lim, want: "unknown anchor"},
		{name: "tab indentation", src: "a:\n\tb: c\n", lim: lim, want: "invalid YAML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			docs, err := Parse("f.yaml", []byte(tt.src), tt.lim)
			if elapsed := time.Since(start); elapsed > 2*time.Second {
				t.Errorf("took %v", elapsed)
			}
			if err == nil {
				t.Fatalf("no error; documents %v", docs)
			}
			if docs != nil {
				t.Errorf("got documents with an error: all or nothing")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			var errs Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("error is %T, want Errors", err)
			}
			if errs[0].File != "f.yaml" {
				t.Errorf("File = %q", errs[0].File)
			}
			if tt.wantLine != 0 && errs[0].Line != tt.wantLine {
				t.Errorf("Line = %d, want %d", errs[0].Line, tt.wantLine)
			}
			if tt.field != "" && errs[0].Field != tt.field {
				t.Errorf("Field = %q, want %q", errs[0].Field, tt.field)
			}
		})
	}
}

// TestParseHugeFlowMappingIsCheap is the case the structural-character
// budget exists for: yaml.v3 would spend ~700 MB and seconds on it.
func TestParseHugeFlowMappingIsCheap(t *testing.T) {
	src := "{" + strings.Repeat("a,", 2<<20-2) + "a}"
	var err error
	if mb := allocatedMB(func() { _, err = Parse("f.yaml", []byte(src), DefaultLimits()) }); mb > 64 {
		t.Errorf("allocated %d MB", mb)
	}
	if err == nil || !strings.Contains(err.Error(), "structural characters") {
		t.Fatalf("error = %v", err)
	}
}

// allocatedMB is how many megabytes f allocates: a measure of work that a
// busy machine does not change, unlike a clock.
func allocatedMB(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) >> 20
}

func TestParseLimitsAtTheEdge(t *testing.T) {
	lim := Limits{MaxFileBytes: 1 << 20, MaxDocuments: 3, MaxDepth: 3, MaxNodes: 7}
	// Exactly three documents, and trailing separators, are fine.
	if _, err := Parse("f", []byte("a: 1\n---\na: 2\n---\na: 3\n---\n"), lim); err != nil {
		t.Errorf("3 documents: %v", err)
	}
	// Depth 3: root mapping, a mapping, a list.
	if _, err := Parse("f", []byte("a: {b: [1]}\n"), lim); err != nil {
		t.Errorf("depth 3: %v", err)
	}
	// Nodes: the root mapping, a, {…}, b, […], then the items.
	if _, err := Parse("f", []byte("a: {b: [1, 2]}\n"), lim); err != nil {
		t.Errorf("7 nodes: %v", err)
	}
	if _, err := Parse("f", []byte("a: {b: [1, 2, 3]}\n"), lim); err == nil {
		t.Error("8 nodes accepted")
	}
	// A file of exactly MaxFileBytes is accepted.
	exact := "a: " + strings.Repeat("x", 1<<20-4) + "\n"
	if _, err := Parse("f", []byte(exact), lim); err != nil {
		t.Errorf("file of exactly the limit: %v", err)
	}
}

func TestParseZeroLimitsMeanDefaults(t *testing.T) {
	if _, err := Parse("f", []byte(aliasBomb()), Limits{}); err == nil {
		t.Error("Limits{} accepted an alias bomb")
	}
	if _, err := Parse("f", []byte("a: 1\n"), Limits{}); err != nil {
		t.Error(err)
	}
}

func TestParseFileWideAliasBudget(t *testing.T) {
	// Each document stays under MaxNodes, but together they would not:
	// many small alias bombs must not add up.
	lim := Limits{MaxNodes: 200, MaxDocuments: 1000}
	doc := "a: &a [1,2,3,4,5,6,7,8,9]\nb: [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	src := strings.Repeat(doc+"---\n", 100)
	_, err := Parse("f", []byte(src), lim)
	if err == nil || !strings.Contains(err.Error(), "in total") {
		t.Fatalf("error = %v", err)
	}
	var errs Errors
	errors.As(err, &errs)
	if errs[0].Document != -1 {
		t.Errorf("a whole-file limit names document %d", errs[0].Document)
	}
}

func TestParseTextAliasBudget(t *testing.T) {
	// One long string aliased many times: few nodes, but a huge JSON.
	long := strings.Repeat("x", 50000)
	src := "a: &a " + long + "\nb: [" + strings.Repeat("*a,", 99) + "*a]\n"
	_, err := Parse("f", []byte(src), Limits{MaxFileBytes: 1 << 20})
	if err == nil || !strings.Contains(err.Error(), "bytes of text after expanding aliases") {
		t.Fatalf("error = %v", err)
	}
}

func TestParseCollectsSeveralProblems(t *testing.T) {
	src := "a: 1\na: 2\n---\nb: 1\nb: 2\n"
	_, err := Parse("f", []byte(src), DefaultLimits())
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != 2 {
		t.Fatalf("error = %v", err)
	}
	if errs[0].Document != 0 || errs[1].Document != 1 || errs[1].Line != 5 {
		t.Errorf("errors: %v", err)
	}
}

func TestParseJSONInput(t *testing.T) {
	src := `{"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": "x"}}`
	docs, err := Parse("f.json", []byte(src), DefaultLimits())
	if err != nil || len(docs) != 1 || docs[0].Object["kind"] != "Component" {
		t.Fatalf("docs %v, error %v", docs, err)
	}
}

func TestParseEmpty(t *testing.T) {
	for _, src := range []string{"", "\n", "# only a comment\n", "---\n", "--- ~\n...\n"} {
		docs, err := Parse("f", []byte(src), DefaultLimits())
		if err != nil || len(docs) != 0 {
			t.Errorf("%q: docs %v, error %v", src, docs, err)
		}
	}
}

func TestPrescanNamesTheDocument(t *testing.T) {
	lim := Limits{MaxNodes: 2} // budget: 20 structural characters
	src := "# comment\n---\na: 1\n---\nb: [" + strings.Repeat("1,", 30) + "]\n"
	_, err := Parse("f", []byte(src), lim)
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error = %v", err)
	}
	if errs[0].Document != 1 {
		t.Errorf("Document = %d, want 1", errs[0].Document)
	}
}

func TestFieldErrorFormat(t *testing.T) {
	tests := []struct {
		e    FieldError
		want string
	}{
		{FieldError{File: "c.yaml", Document: 1, Line: 7, Field: "spec.owner", Reason: "is required"}, "c.yaml: document 2: line 7: spec.owner: is required"},
		{FieldError{File: "c.yaml", Document: -1, Reason: "file is too large"}, "c.yaml: file is too large"},
		{FieldError{Document: -1, Field: "kind", Reason: "unknown"}, "kind: unknown"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
	first, second := &FieldError{File: "a", Reason: "x"}, &FieldError{File: "b", Reason: "y"}
	errs := Errors{first, second}
	if got := errs.Error(); got != "a: document 1: x\nb: document 1: y" {
		t.Errorf("Errors.Error() = %q", got)
	}
	var fe *FieldError
	if !errors.As(error(errs), &fe) || fe != first {
		t.Error("errors.As does not find the first FieldError")
	}
}

func TestProblemsAreCapped(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 300; i++ {
		b.WriteString("a: 1\n")
	}
	_, err := Parse("f", []byte(b.String()), DefaultLimits())
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatal(err)
	}
	if len(errs) != maxProblems+1 || !strings.Contains(errs[len(errs)-1].Reason, "199 more problems") {
		t.Errorf("%d errors, last %v", len(errs), errs[len(errs)-1])
	}
}

func TestParseLongKeysDoNotMultiply(t *testing.T) {
	// Paths repeat the keys above them; a long key over many items must not
	// cost key length times item count.
	key := strings.Repeat("k", 100000)
	// yaml.v3 caps implicit keys at 1024 characters; explicit ones are not.
	src := "? " + key + "\n: [" + strings.Repeat("1,", 9000) + "1]\n"
	var docs []RawDocument
	var err error
	// Key length times item count would be 900 MB.
	if mb := allocatedMB(func() { docs, err = Parse("f", []byte(src), DefaultLimits()) }); mb > 64 {
		t.Errorf("allocated %d MB", mb)
	}
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for path := range docs[0].Lines {
		if len(path) > maxFieldPathLen+len(truncatedPathMark) {
			t.Fatalf("path of %d bytes", len(path))
		}
		total += len(path)
	}
	if total > 1<<20 {
		t.Errorf("paths take %d bytes", total)
	}
	if len(docs[0].Object[key].([]any)) != 9001 {
		t.Error("items lost")
	}
}
