// Package e2e holds the end-to-end tests of Pont's portal UI, in a real
// Chromium (internal/testutil/browsertest) against a real `pont serve`
// built with the UI embedded: the demo catalog (deploy/examples), sign-in
// through a real Dex (internal/testutil/dextest) and a real kube-apiserver
// (internal/testutil/kubetest) holding a CloudNativePG database. It also
// holds BenchmarkUI, the UI's performance budget on a 50,000-entity
// catalog (PONT_BENCH_UI=1). docs/web.md ("Tests") says how to run them.
//
// Everything is in _test.go files; this file only documents the package.
package e2e
