package catalog

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

// FuzzParse feeds arbitrary bytes to Parse and then Validate. Neither may
// panic, and what they return must be consistent:
//   - Parse returns documents or Errors, never both;
//   - every document re-marshals to JSON, and parsing that JSON gives the
//     same object back (the conversion loses nothing JSON can hold);
//   - a valid entity marshals to JSON, and that JSON validates again.
//
// Seeds: testdata/fuzz/FuzzParse (loaded by go test) and the example
// descriptors under testdata/descriptors.
//
//	go test ./catalog/ -run XXX -fuzz FuzzParse -fuzztime 10m -parallel 1
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "descriptors", "*", "*.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}

	// Small limits make the fuzzer reach every limit often; the code paths
	// are the same as with the defaults.
	lim := Limits{MaxFileBytes: 1 << 20, MaxDocuments: 20, MaxDepth: 12, MaxNodes: 1000}
	validators := []*Validator{
		{},
		{AllowedKinds: []string{"Component", "API", "Location"}, ExtraKinds: []KindRule{{Kind: "Component"}, {Kind: "widget"}}},
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		docs, err := Parse("fuzz.yaml", data, lim)
		if err != nil {
			checkErrors(t, err, "fuzz.yaml")
			if docs != nil {
				t.Fatal("Parse returned documents and an error")
			}
			return
		}
		for _, doc := range docs {
			if doc.Object == nil || doc.Lines == nil || doc.File != "fuzz.yaml" {
				t.Fatalf("incomplete document %+v", doc)
			}
			checkJSONRoundTrip(t, doc.Object)
			for _, v := range validators {
				e, err := v.Validate(doc)
				if err != nil {
					checkErrors(t, err, "fuzz.yaml")
					if e != nil {
						t.Fatal("Validate returned an entity and an error")
					}
					continue
				}
				checkEntityRoundTrip(t, v, e)
			}
		}
	})
}

// checkErrors checks that err is a well-formed Errors.
func checkErrors(t *testing.T, err error, file string) {
	t.Helper()
	var errs Errors
	if !errors.As(err, &errs) || len(errs) == 0 {
		t.Fatalf("error %T %v is not a non-empty Errors", err, err)
	}
	for _, e := range errs {
		if e == nil || e.Reason == "" || e.File != file {
			t.Fatalf("malformed FieldError %+v", e)
		}
	}
	if err.Error() == "" {
		t.Fatal("empty error message")
	}
}

// checkJSONRoundTrip marshals a parsed object to JSON, parses the JSON as
// YAML (JSON is YAML), and compares the two objects as JSON values.
func checkJSONRoundTrip(t *testing.T, obj map[string]any) {
	t.Helper()
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatalf("document does not marshal to JSON: %v", err)
	}
	// The JSON of an expanded alias may exceed the YAML's limits; only the
	// conversion is under test here.
	big := Limits{MaxFileBytes: 64 << 20, MaxDocuments: 1, MaxDepth: 1 << 10, MaxNodes: 1 << 22}
	again, err := Parse("roundtrip.json", asciiJSON(b), big)
	if err != nil {
		t.Fatalf("JSON of a parsed document does not parse: %v\n%s", err, b)
	}
	if len(again) != 1 {
		t.Fatalf("JSON gave %d documents", len(again))
	}
	if !reflect.DeepEqual(asJSONValue(t, obj), asJSONValue(t, again[0].Object)) {
		t.Fatalf("round trip changed the document:\n%s", b)
	}
}

// checkEntityRoundTrip checks that a valid entity marshals to JSON and that
// the JSON, read back as an object, validates again.
func checkEntityRoundTrip(t *testing.T, v *Validator, e *Entity) {
	t.Helper()
	if e == nil {
		t.Fatal("Validate returned neither an entity nor an error")
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatalf("entity does not marshal to JSON: %v", err)
	}
	var obj map[string]any
	if err := json.Unmarshal(b, &obj); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Validate(RawDocument{File: "fuzz.yaml", Object: obj}); err != nil {
		t.Fatalf("a valid entity's JSON no longer validates: %v\n%s", err, b)
	}
}

// asciiJSON escapes every non-ASCII character of a JSON text as \uXXXX.
// yaml.v3 reads a raw U+0085, U+2028 or U+2029 inside a quoted string as a
// line break (YAML 1.1) and folds it; escaped, it reads the character.
func asciiJSON(b []byte) []byte {
	var out []byte
	for _, r := range string(b) {
		switch {
		case r < utf8.RuneSelf:
			out = append(out, byte(r))
		case r > 0xFFFF:
			hi, lo := utf16.EncodeRune(r)
			out = fmt.Appendf(out, `\u%04x\u%04x`, hi, lo)
		default:
			out = fmt.Appendf(out, `\u%04x`, r)
		}
	}
	return out
}

// asJSONValue is v as encoding/json reads it back: every number a float64.
func asJSONValue(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
