// Package benchdoc holds what Pont's benchmarks share: each writes its
// section of docs/benchmarks.md (Splice) with the machine's load beside
// its figures, and may profile what it measures (CPUProfile). Each
// benchmark owns the text between its two marker comments and leaves the
// rest of the file as it is, so the benchmarks can run apart (BENCH_ONLY)
// and still leave one report.
package benchdoc

import (
	"os"
	"runtime/pprof"
	"strings"
	"testing"
)

// Splice replaces the section between begin and end (the markers
// included) in the file at path with begin, section and end; it appends
// the section when the markers are not there, and writes a file holding
// only it when there is no file.
func Splice(path, begin, end, section string) error {
	block := begin + "\n" + section + end + "\n"
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	doc := string(old)
	if i := strings.Index(doc, begin); i >= 0 {
		if j := strings.Index(doc[i:], end); j >= 0 {
			doc = doc[:i] + block + strings.TrimPrefix(doc[i+j+len(end):], "\n")
			return os.WriteFile(path, []byte(doc), 0o644)
		}
	}
	if doc != "" && !strings.HasSuffix(doc, "\n\n") {
		doc = strings.TrimRight(doc, "\n") + "\n\n"
	}
	return os.WriteFile(path, []byte(doc+block), 0o644)
}

// LoadAverage is the machine's 1, 5 and 15 minute load averages, which a
// report gives beside its figures ("" where /proc is not there).
func LoadAverage() string {
	load, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(load))
	return strings.Join(f[:min(3, len(f))], " ")
}

// CPUProfile starts a CPU profile written to path, for a benchmark run with
// PONT_BENCH_CPUPROFILE (profile before tuning); call the returned stop
// when the measured part ends. An empty path profiles nothing.
func CPUProfile(tb testing.TB, path string) (stop func()) {
	tb.Helper()
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		tb.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
