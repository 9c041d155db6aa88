package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"github.com/pont-dev/pont/internal/testutil/wait"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	k8s "k8s.io/client-go/kubernetes"

	"github.com/pont-dev/pont/internal/testutil/kubetest"
	"github.com/pont-dev/pont/internal/testutil/logbuf"
	"github.com/pont-dev/pont/internal/testutil/pgtest"
)

// envAsPont makes the test binary run pont with its arguments instead of
// the tests (TestMain): the tests below start `pont serve` as processes of
// their own, to kill one with SIGKILL or to run two side by side.
const envAsPont = "PONT_CMD_TEST_AS_PONT"

// runAsPont is main() of a test binary started by startServeProcess. Its
// stdin is a pipe from the test process: when that ends (the test process
// is gone, however it died), so does pont, rather than outlive the test.
func runAsPont() int {
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		fmt.Fprintln(os.Stderr, "pont (test child): the test process is gone; exiting")
		os.Exit(3)
	}()
	return run(os.Args[1:], os.Stdout, os.Stderr)
}

// pontProcess is `pont serve` in a process of its own.
type pontProcess struct {
	name string
	base string
	cmd  *exec.Cmd
	// stdin stays open while the process runs (see runAsPont).
	stdin io.WriteCloser
	log   *logbuf.Buffer // its stdout and stderr
	done  chan struct{}  // closed when it has exited
	err   error          // cmd.Wait's, once done is closed
}

// startServeProcess starts `pont serve --config cfgPath` as a process (the
// test binary itself, see runAsPont) on a free loopback port and waits
// until it is ready. The process is stopped (SIGTERM) at the end of the
// test, and its log shown if the test failed (or PONT_TEST_SHOW_PONT_LOGS=1).
func startServeProcess(t *testing.T, name, cfgPath string) *pontProcess {
	t.Helper()
	addr := freeAddr(t)
	p := &pontProcess{name: name, base: "http://" + addr, log: &logbuf.Buffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(os.Args[0], "serve", "--config", cfgPath, "--addr", addr)
	p.cmd.Env = append(os.Environ(), envAsPont+"=1")
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	var err error
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() || os.Getenv("PONT_TEST_SHOW_PONT_LOGS") == "1" {
			t.Logf("log of %s (%s):\n%s", p.name, p.base, p.log.String())
		}
	})
	wait.For(t, 60*time.Second, name+" ready", func() bool {
		select {
		case <-p.done:
			t.Fatalf("%s exited before it was ready: %v\n%s", name, p.err, p.log.String())
		default:
		}
		resp, err := http.Get(p.base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	t.Logf("%s ready at %s after %s", name, p.base, time.Since(started).Round(100*time.Millisecond))
	return p
}

func (p *pontProcess) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop stops the process as a deployment would (SIGTERM), which must end
// it cleanly within 20 s; it does nothing when the process has exited.
func (p *pontProcess) stop(t *testing.T) {
	t.Helper()
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		if p.err != nil {
			t.Errorf("%s did not stop cleanly: %v", p.name, p.err)
		}
	case <-time.After(20 * time.Second):
		t.Errorf("%s did not stop within 20s of SIGTERM; killing it", p.name)
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// kill9 kills the process with SIGKILL: no shutdown of any kind.
func (p *pontProcess) kill9(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
	if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("%s ended with %v, not by SIGKILL", p.name, p.err)
	}
}

// finishedRuns are the runs whose end this process recorded: the audit
// records "action.run.finish" (one JSON line each in its log), by run id.
func (p *pontProcess) finishedRuns(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(p.log.String()))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 || line[0] != '{' {
			continue
		}
		var rec struct {
			Msg, Action, Target, Outcome string
		}
		if json.Unmarshal(line, &rec) == nil && rec.Msg == "audit" && rec.Action == "action.run.finish" {
			out[rec.Target]++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading the log of %s: %v", p.name, err)
	}
	return out
}

// pollFor is waitFor at a gentler pace, for conditions that cost a
// GraphQL query of many runs.
func pollFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	wait.For(t, timeout, what, func() bool {
		if cond() {
			return true
		}
		time.Sleep(200 * time.Millisecond)
		return false
	})
}

// restartCluster is a kube-apiserver with the CloudNativePG CRD and one
// environment Pont discovers: namespace shop-dev, labelled as such.
func restartCluster(t *testing.T) (*kubetest.Cluster, dynamic.Interface) {
	t.Helper()
	c := kubetest.Start(t, kubetest.Options{})
	c.InstallCRDs(t, "postgresql.cnpg.io_clusters.yaml")
	kc := k8s.NewForConfigOrDie(c.Config())
	if _, err := kc.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop-dev",
		Labels: map[string]string{"pont.dev/environment": "dev", "pont.dev/owner": "team-shop"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return c, dynamic.NewForConfigOrDie(c.Config())
}

// restartConfig writes the configuration the processes of a test share:
// one PostgreSQL database, the cluster, and actions rescued after 5 s
// (the least actions.rescueAfter allows).
func restartConfig(t *testing.T, c *kubetest.Cluster) string {
	t.Helper()
	cfg := fmt.Sprintf(`database:
  driver: postgres
  dsn: %q
kubernetes:
  clusters:
    - name: local
      kubeconfig: %q
actions:
  workers: %d
  rescueAfter: 5s
`, pgtest.DSN(t), c.Kubeconfig(t), restartWorkers)
	path := filepath.Join(t.TempDir(), "pont.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// restartWorkers is actions.workers of every process: TestTwoServesShareTheQueue
// submits twice as many runs, which can only all run at once on two
// processes.
const restartWorkers = 10

const shopDev = "resource:kubernetes/local.shop-dev"

var cnpgClusters = schema.GroupVersionResource{Group: "postgresql.cnpg.io", Version: "v1", Resource: "clusters"}

// waitForEntity waits until the process's catalog has the entity.
func waitForEntity(t *testing.T, p *pontProcess, ref string) {
	t.Helper()
	kind, rest, _ := strings.Cut(ref, ":")
	ns, name, _ := strings.Cut(rest, "/")
	url := fmt.Sprintf("%s/api/catalog/entities/by-name/%s/%s/%s", p.base, kind, ns, name)
	pollFor(t, 30*time.Second, ref+" in the catalog of "+p.name, func() bool { return getJSON(t, url, nil) == http.StatusOK })
}

// submitDatabase asks for a kubernetes.create-database run in shop-dev.
func submitDatabase(t *testing.T, p *pontProcess, name string) string {
	t.Helper()
	r := graphql(t, http.DefaultClient, p.base, fmt.Sprintf(
		`mutation { runAction(action: "kubernetes.create-database", target: %q, input: {name: %q}) { id state } }`, shopDev, name))
	if len(r.Errors) > 0 {
		t.Fatalf("runAction %s on %s: %+v", name, p.name, r.Errors)
	}
	return r.Data["runAction"].(map[string]any)["id"].(string)
}

// runView is a run as GraphQL shows it, with its whole log.
type runView struct {
	ID       string `json:"id"`
	State    string `json:"state"`
	Attempts int    `json:"attempts"`
	Error    string `json:"error"`
	Input    struct {
		Name string `json:"name"`
	} `json:"input"`
	Events []struct {
		Seq     int    `json:"seq"`
		Kind    string `json:"kind"`
		Message string `json:"message"`
	} `json:"events"`
}

const runFields = `id state attempts error input events { seq kind message }`

// count is how many events of the kind have the message.
func (r runView) count(kind, message string) int {
	n := 0
	for _, e := range r.Events {
		if e.Kind == kind && e.Message == message {
			n++
		}
	}
	return n
}

// attempts are the runner's "running (attempt N of M)" events, each with
// what follows it: " on REPLICA" when the runner names the process (host
// and process id), else "".
func (r runView) attempts() (starts []string, on []string) {
	for _, e := range r.Events {
		if e.Kind != "state" || !strings.HasPrefix(e.Message, "running (attempt ") {
			continue
		}
		head, tail, _ := strings.Cut(e.Message, ")")
		starts = append(starts, head+")")
		on = append(on, strings.TrimPrefix(tail, " on "))
	}
	return starts, on
}

// ranOn tells whether a replica name (host:pid) is the process's.
func (p *pontProcess) ranOn(replica string) bool {
	return strings.HasSuffix(replica, fmt.Sprintf(":%d", p.cmd.Process.Pid))
}

func (r runView) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "run %s (%s) %s, %d attempt(s)", r.ID, r.Input.Name, r.State, r.Attempts)
	if r.Error != "" {
		fmt.Fprintf(&b, ", error %q", r.Error)
	}
	for _, e := range r.Events {
		fmt.Fprintf(&b, "\n  %3d %-5s %s", e.Seq, e.Kind, e.Message)
	}
	return b.String()
}

// decodeInto turns a GraphQL answer's data into v.
func decodeInto(t *testing.T, data any, v any) {
	t.Helper()
	b, err := json.Marshal(data)
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

func getRun(t *testing.T, p *pontProcess, id string) runView {
	t.Helper()
	r := graphql(t, http.DefaultClient, p.base, fmt.Sprintf(`{ run(id: %q) { %s } }`, id, runFields))
	if len(r.Errors) > 0 || r.Data["run"] == nil {
		t.Fatalf("run %s on %s: %+v", id, p.name, r)
	}
	var v runView
	decodeInto(t, r.Data["run"], &v)
	return v
}

func listRuns(t *testing.T, p *pontProcess) []runView {
	t.Helper()
	r := graphql(t, http.DefaultClient, p.base, fmt.Sprintf(`{ runs(action: "kubernetes.create-database", first: 500) { %s } }`, runFields))
	if len(r.Errors) > 0 {
		t.Fatalf("runs on %s: %+v", p.name, r.Errors)
	}
	var v []runView
	decodeInto(t, r.Data["runs"], &v)
	return v
}

// setReady writes what CloudNativePG writes once a Cluster is ready.
func setReady(t *testing.T, dyn dynamic.Interface, ns, name string) {
	t.Helper()
	ri := dyn.Resource(cnpgClusters).Namespace(ns)
	obj, err := ri.Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	obj.Object["status"] = map[string]any{
		"phase": "Cluster in healthy state", "instances": int64(1), "readyInstances": int64(1),
		"writeService": name + "-rw", "readService": name + "-r",
	}
	if _, err := ri.UpdateStatus(context.Background(), obj, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// sseStateEvents reads a run's log as Server-Sent Events (the stream ends
// with the run) and returns the messages of its state events.
func sseStateEvents(t *testing.T, p *pontProcess, id string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.base+"/api/runs/"+id+"/events", nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("events of %s: %d", id, resp.StatusCode)
	}
	var states []string
	event := ""
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: ") && event == "state":
			var d struct{ Message string }
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &d); err != nil {
				t.Fatalf("event data %q: %v", line, err)
			}
			states = append(states, d.Message)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("events of %s: %v", id, err)
	}
	return states
}

// TestServeRestartResumesARun kills `pont serve` (SIGKILL) while a
// kubernetes.create-database run waits for the operator, and starts
// another `pont serve` on the same PostgreSQL database: the run is resumed
// there (attempt 2, after actions.rescueAfter), applies the same custom
// resource again (server-side apply: still one object, unchanged), waits
// for the operator again, and succeeds once the operator reports the
// database ready; one succeeded event, in GraphQL and in the SSE stream.
func TestServeRestartResumesARun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a kube-apiserver, PostgreSQL and two pont processes; 30 to 60 s")
	}
	began := time.Now()
	c, dyn := restartCluster(t)
	cfg := restartConfig(t, c)
	first := startServeProcess(t, "pont-1", cfg)
	waitForEntity(t, first, shopDev)

	id := submitDatabase(t, first, "orders")
	var run runView // as last read
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the run as last read: %s", run)
		}
	})
	pollFor(t, 30*time.Second, "the run to wait for the operator", func() bool {
		run = getRun(t, first, id)
		if run.State == "FAILED" {
			t.Fatalf("the run failed: %s", run)
		}
		return run.State == "RUNNING" && run.count("log", "applied Cluster orders") == 1 && run.count("step", "wait for the operator") == 1
	})
	if _, err := dyn.Resource(cnpgClusters).Namespace("shop-dev").Get(context.Background(), "orders", metav1.GetOptions{}); err != nil {
		t.Fatalf("the run says it applied the Cluster: %v", err)
	}

	first.kill9(t)
	killedAt := time.Now()
	second := startServeProcess(t, "pont-2", cfg)

	// The run is rescued from the dead process and resumed in the live one,
	// where it waits for the operator again.
	pollFor(t, 60*time.Second, "the run to be resumed and wait for the operator again", func() bool {
		run = getRun(t, second, id)
		if run.State != "RUNNING" && run.State != "QUEUED" {
			t.Fatalf("the run is %s before the operator said ready: %s", run.State, run)
		}
		starts, _ := run.attempts()
		return len(starts) == 2 && run.count("step", "wait for the operator") == 2
	})
	t.Logf("kill -9 → attempt 2 waits for the operator %s later", time.Since(killedAt).Round(100*time.Millisecond))
	setReady(t, dyn, "shop-dev", "orders")
	pollFor(t, 30*time.Second, "the run to succeed", func() bool {
		run = getRun(t, second, id)
		if run.State == "FAILED" {
			t.Fatalf("the run failed: %s", run)
		}
		return run.State == "SUCCEEDED"
	})

	time.Sleep(time.Second) // a duplicate delivery would show by now
	run = getRun(t, second, id)
	if run.State != "SUCCEEDED" || run.Attempts != 2 {
		t.Errorf("state %s, attempts %d; want SUCCEEDED after 2", run.State, run.Attempts)
	}
	starts, on := run.attempts()
	if strings.Join(starts, ", ") != "running (attempt 1 of 5), running (attempt 2 of 5)" {
		t.Errorf("attempts started: %q", starts)
	} else if on[0] != "" && (!first.ranOn(on[0]) || !second.ranOn(on[1])) {
		t.Errorf("attempt 1 ran on %q, attempt 2 on %q; want pont-1 (pid %d), then pont-2 (pid %d)",
			on[0], on[1], first.cmd.Process.Pid, second.cmd.Process.Pid)
	}
	// Attempt 2 applies the Cluster again, or skips the apply step that
	// attempt 1 recorded as done.
	applied, skipped := run.count("log", "applied Cluster orders"), run.count("log", "apply: done by an earlier attempt")
	if applied < 1 || applied+skipped != 2 {
		t.Errorf("%d apply and %d skipped apply, want 2 in all (at least 1 apply)", applied, skipped)
	}
	for _, want := range []struct {
		kind, message string
		n             int
	}{
		{"step", "wait for the operator", 2},
		{"log", "orders is ready", 1},
		{"state", "succeeded", 1},
	} {
		if got := run.count(want.kind, want.message); got != want.n {
			t.Errorf("%d %s event(s) %q, want %d", got, want.kind, want.message, want.n)
		}
	}
	for i, e := range run.Events {
		if e.Seq != i+1 {
			t.Errorf("event %d has seq %d: the log has a gap or a duplicate", i+1, e.Seq)
		}
	}
	if t.Failed() {
		t.Fatalf("%s", run)
	}
	states := sseStateEvents(t, second, id)
	if n := strings.Count(strings.Join(states, "\n"), "succeeded"); n != 1 || states[len(states)-1] != "succeeded" {
		t.Errorf("SSE state events %q: want one succeeded, last", states)
	}

	list, err := dyn.Resource(cnpgClusters).Namespace("shop-dev").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 || list.Items[0].GetName() != "orders" {
		t.Errorf("Clusters in shop-dev: %v, want orders alone", names(list.Items))
	} else if g := list.Items[0].GetGeneration(); g != 1 {
		t.Errorf("Cluster orders is at generation %d: applying it again changed its spec", g)
	}
	if done := second.finishedRuns(t); done[id] != 1 {
		t.Errorf("pont-2 recorded the run's end %d times, want 1", done[id])
	}
	t.Logf("%s", run)
	t.Logf("done in %s", time.Since(began).Round(100*time.Millisecond))
}

func names(objs []unstructured.Unstructured) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.GetName()
	}
	return out
}

// TestTwoServesShareTheQueue runs two `pont serve` processes on one
// PostgreSQL database and one cluster, and submits to them, in turn, twice
// as many kubernetes.create-database runs as one process runs at once
// (actions.workers). Every run waits for the operator, so all of them run
// at once only when each process holds its full share: both processes work
// the one queue. Then the operator reports every database ready: each run
// succeeds, executed once (one attempt, one running and one succeeded
// event), its end recorded by one process.
func TestTwoServesShareTheQueue(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a kube-apiserver, PostgreSQL and two pont processes; about 30 s")
	}
	began := time.Now()
	c, dyn := restartCluster(t)
	cfg := restartConfig(t, c)
	procs := []*pontProcess{startServeProcess(t, "pont-a", cfg), startServeProcess(t, "pont-b", cfg)}
	for _, p := range procs {
		waitForEntity(t, p, shopDev)
	}

	const n = 2 * restartWorkers
	ids := map[string]string{} // run id → database name
	for i := range n {
		name := fmt.Sprintf("db-%02d", i)
		ids[submitDatabase(t, procs[i%2], name)] = name
	}
	var runs []runView // as last read
	t.Cleanup(func() {
		if t.Failed() {
			for _, r := range runs {
				t.Logf("%s", r)
			}
		}
	})
	pollFor(t, 40*time.Second, fmt.Sprintf("all %d runs to wait for the operator at once", n), func() bool {
		runs = listRuns(t, procs[0])
		waiting := 0
		for _, r := range runs {
			if r.State == "FAILED" {
				t.Fatalf("a run failed: %s", r)
			}
			if r.State == "RUNNING" && r.count("step", "wait for the operator") == 1 {
				waiting++
			}
		}
		return len(runs) == n && waiting == n
	})
	for _, r := range runs {
		setReady(t, dyn, "shop-dev", r.Input.Name)
	}
	pollFor(t, 30*time.Second, fmt.Sprintf("all %d runs to succeed", n), func() bool {
		runs = listRuns(t, procs[1])
		done := 0
		for _, r := range runs {
			if r.State == "FAILED" {
				t.Fatalf("a run failed: %s", r)
			}
			if r.State == "SUCCEEDED" {
				done++
			}
		}
		return done == n
	})

	time.Sleep(time.Second) // a duplicate delivery would show by now
	runs = listRuns(t, procs[0])
	if len(runs) != n {
		t.Fatalf("%d runs, want %d", len(runs), n)
	}
	for _, r := range runs {
		if ids[r.ID] != r.Input.Name {
			t.Errorf("run %s is not one of those submitted (%s)", r.ID, r.Input.Name)
		}
		starts, _ := r.attempts()
		if r.State != "SUCCEEDED" || r.Attempts != 1 || len(starts) != 1 || starts[0] != "running (attempt 1 of 5)" ||
			r.count("state", "succeeded") != 1 || r.count("log", "applied Cluster "+r.Input.Name) != 1 {
			t.Errorf("not executed exactly once: %s", r)
		}
	}
	// Which process ran a run: the one that recorded its end in the audit
	// trail, and the one the runner names in its "running" event if it does.
	finished := [2]map[string]int{procs[0].finishedRuns(t), procs[1].finishedRuns(t)}
	named := 0
	for _, r := range runs {
		a, b := finished[0][r.ID], finished[1][r.ID]
		if a+b != 1 {
			t.Errorf("run %s (%s): its end recorded %d time(s) by pont-a, %d by pont-b; want once in all", r.ID, r.Input.Name, a, b)
			continue
		}
		if _, on := r.attempts(); len(on) == 1 && on[0] != "" {
			named++
			if ran := procs[b]; !ran.ranOn(on[0]) {
				t.Errorf("run %s (%s) ran on %q, but %s (pid %d) recorded its end", r.ID, r.Input.Name, on[0], ran.name, ran.cmd.Process.Pid)
			}
		}
	}
	t.Logf("%d of %d runs name the process that ran them", named, n)
	t.Logf("pont-a ran %d runs, pont-b %d", len(finished[0]), len(finished[1]))
	if len(finished[0]) != restartWorkers || len(finished[1]) != restartWorkers {
		t.Errorf("pont-a ran %d runs and pont-b %d; with %d workers each and %d runs all running at once, want %d each",
			len(finished[0]), len(finished[1]), restartWorkers, n, restartWorkers)
	}
	list, err := dyn.Resource(cnpgClusters).Namespace("shop-dev").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != n {
		t.Errorf("%d Clusters in shop-dev, want %d: %v", len(list.Items), n, names(list.Items))
	}
	t.Logf("done in %s", time.Since(began).Round(100*time.Millisecond))
}
