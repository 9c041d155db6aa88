// Package wait is the one polling helper of the tests: wait until a
// condition holds, or fail the test naming what did not happen.
package wait

import (
	"testing"
	"time"
)

// Every is how often For asks again.
const Every = 20 * time.Millisecond

// For polls cond every Every until it holds, and fails the test when
// timeout passes first, saying what it waited for.
func For(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(Every)
	}
}
