package provision

import (
	"strings"
	"testing"
)

func TestUnifiedDiff(t *testing.T) {
	lines := func(ls ...string) string { return strings.Join(ls, "\n") + "\n" }
	for _, tc := range []struct {
		name, a, b, want string
	}{
		{"equal", lines("a", "b"), lines("a", "b"), ""},
		{"create", "", lines("a", "b"), lines("--- A", "+++ B", "@@ -0,0 +1,2 @@", "+a", "+b")},
		{"delete", lines("a"), "", lines("--- A", "+++ B", "@@ -1,1 +0,0 @@", "-a")},
		{"change in the middle", lines("1", "2", "3", "4", "5", "6", "7", "8", "9"), lines("1", "2", "3", "4", "X", "6", "7", "8", "9"),
			lines("--- A", "+++ B", "@@ -2,7 +2,7 @@", " 2", " 3", " 4", "-5", "+X", " 6", " 7", " 8")},
		{"two hunks", lines("a", "1", "2", "3", "4", "5", "6", "7", "8", "b"), lines("A", "1", "2", "3", "4", "5", "6", "7", "8", "B"),
			lines("--- A", "+++ B", "@@ -1,4 +1,4 @@", "-a", "+A", " 1", " 2", " 3", "@@ -7,4 +7,4 @@", " 6", " 7", " 8", "-b", "+B")},
		{"close changes share a hunk", lines("a", "1", "2", "b"), lines("A", "1", "2", "B"),
			lines("--- A", "+++ B", "@@ -1,4 +1,4 @@", "-a", "+A", " 1", " 2", "-b", "+B")},
		{"insertion", lines("a", "c"), lines("a", "b", "c"), lines("--- A", "+++ B", "@@ -1,2 +1,3 @@", " a", "+b", " c")},
	} {
		if got := unifiedDiff(tc.a, tc.b, "A", "B"); got != tc.want {
			t.Errorf("%s:\n%s\nwant:\n%s", tc.name, got, tc.want)
		}
	}
}
