package benchdoc

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSplice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.md")
	steps := []struct{ begin, section, want string }{
		{"<!-- a -->", "A1\n", "<!-- a -->\nA1\n<!-- /a -->\n"},
		{"<!-- b -->", "B1\n", "<!-- a -->\nA1\n<!-- /a -->\n\n<!-- b -->\nB1\n<!-- /b -->\n"},
		{"<!-- a -->", "A2\n", "<!-- a -->\nA2\n<!-- /a -->\n\n<!-- b -->\nB1\n<!-- /b -->\n"},
	}
	for _, s := range steps {
		end := "<!-- /" + s.begin[5:]
		if err := Splice(path, s.begin, end, s.section); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(path)
		if string(got) != s.want {
			t.Fatalf("after %s: %q, want %q", s.section, got, s.want)
		}
	}
}
