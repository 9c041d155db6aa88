package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestValidateCommand: exit 0 on valid descriptors (the demo catalog and
// Backstage's own examples), 1 on invalid ones with file, document, line,
// field and reason on every error line.
func TestValidateCommand(t *testing.T) {
	root := repoRoot(t)
	valid, _ := filepath.Glob(filepath.Join(root, "catalog", "testdata", "descriptors", "valid", "*.yaml"))
	demo, _ := filepath.Glob(filepath.Join(root, "deploy", "examples", "*.yaml"))
	components, _ := filepath.Glob(filepath.Join(root, "deploy", "examples", "components", "*.yaml"))
	var out, errOut bytes.Buffer
	if code := run(append([]string{"validate"}, append(append(valid, demo...), components...)...), &out, &errOut); code != 0 {
		t.Fatalf("valid files: exit %d\n%s%s", code, out.String(), errOut.String())
	}

	invalid, _ := filepath.Glob(filepath.Join(root, "catalog", "testdata", "descriptors", "invalid", "*.yaml"))
	if len(invalid) == 0 {
		t.Fatal("no invalid descriptors")
	}
	for _, f := range invalid {
		out.Reset()
		if code := run([]string{"validate", f}, &out, &errOut); code != 1 {
			t.Errorf("%s: exit %d, want 1\n%s", f, code, out.String())
			continue
		}
		// The file's first line says which fields must be named.
		data, _ := os.ReadFile(f)
		first, _, _ := strings.Cut(string(data), "\n")
		if want, ok := strings.CutPrefix(first, "# want: "); ok {
			for _, field := range strings.Split(want, ", ") {
				if !strings.Contains(out.String(), ": "+strings.TrimSpace(field)+": ") {
					t.Errorf("%s: output does not name %s:\n%s", f, field, out.String())
				}
			}
		}
		for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			if strings.HasSuffix(line, "file(s)") {
				continue
			}
			if !strings.HasPrefix(line, f+": document ") {
				t.Errorf("%s: error line does not start with the file and document: %q", f, line)
			}
		}
	}
}
