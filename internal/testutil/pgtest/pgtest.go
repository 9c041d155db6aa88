// Package pgtest gives each test its own PostgreSQL database on one container shared by the test binary.
//
// Use it from a test package like this:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		dsn := pgtest.DSN(t) // a fresh, empty database, dropped when t ends
//		...
//	}
//
// The container runs the image named by PONT_TEST_POSTGRES_IMAGE (default
// pont-test/postgres:15, built locally by deploy/testenv/setup.sh) with host
// networking, listening on 127.0.0.1 on a free port. The server's TimeZone is
// deliberately odd (Asia/Kathmandu, UTC+05:45) so that code which depends on
// the server's time zone shows up in tests.
//
// When Docker or the image is not available, DSN skips the test, or fails it
// when PONT_REQUIRE_DOCKER=1 (as CI sets).
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"

	"github.com/pont-dev/pont/internal/testutil/freeport"
)

const (
	// DefaultImage is the image built by deploy/testenv/setup.sh.
	DefaultImage = "pont-test/postgres:15"
	// ServerTimeZone is the server's TimeZone setting: an odd offset on purpose.
	ServerTimeZone = "Asia/Kathmandu"

	envImage         = "PONT_TEST_POSTGRES_IMAGE"
	envRequireDocker = "PONT_REQUIRE_DOCKER"
	envRyukDisabled  = "TESTCONTAINERS_RYUK_DISABLED"

	labelPgtest   = "dev.pont.pgtest"
	labelPID      = "dev.pont.pgtest.pid"
	labelHostname = "dev.pont.pgtest.hostname"

	startTimeout = 60 * time.Second
	startTries   = 3 // a free port can be taken between choosing and binding it
	superuser    = "postgres"
)

// server is the shared container of this test binary.
type server struct {
	ctr  *testcontainers.DockerContainer
	port int

	// unavailable is set when Docker or the image is missing: tests skip
	// (or fail under PONT_REQUIRE_DOCKER=1).
	unavailable error
	// err is set when the container failed to start although Docker is there.
	err error
}

var (
	once       sync.Once
	shared     server
	mainCalled atomic.Bool
	stopOnce   sync.Once
)

// Main runs the tests, then terminates the shared container if one was
// started, and exits with the tests' code. Call it from TestMain.
func Main(m *testing.M) {
	mainCalled.Store(true)
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil)).With("pkg", "pgtest")

	// An interrupted run would otherwise leave the container behind (the
	// reaper is disabled); a killed one is cleaned up by the next run.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		s, ok := <-sig
		if !ok {
			return
		}
		logger.Warn("signal received, terminating the PostgreSQL container", "signal", s.String())
		stop(logger)
		os.Exit(1)
	}()

	code := m.Run()
	signal.Stop(sig)
	close(sig)
	stop(logger)
	os.Exit(code)
}

func stop(logger *slog.Logger) {
	stopOnce.Do(func() {
		// Make a later once.Do a no-op so no container starts after this.
		once.Do(func() { shared.unavailable = errors.New("pgtest: shut down") })
		if shared.ctr == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := shared.ctr.Terminate(ctx, testcontainers.StopTimeout(0)); err != nil {
			logger.Error("terminating the PostgreSQL container", "id", shortID(shared.ctr.GetContainerID()), "err", err)
		}
	})
}

// DSN returns the address of a new, empty database for t on the shared
// PostgreSQL server, starting the server on first use. The database is
// dropped when t ends. The DSN has the form
// postgres://postgres@127.0.0.1:PORT/DB?sslmode=disable.
func DSN(t testing.TB) string {
	t.Helper()
	if !mainCalled.Load() {
		t.Fatal("pgtest: call pgtest.Main(m) from TestMain, so the shared container is terminated after the tests")
	}
	once.Do(func() { shared = start(t) })
	switch {
	case shared.unavailable != nil:
		msg := fmt.Sprintf("pgtest: PostgreSQL container unavailable: %v\n"+
			"Run deploy/testenv/setup.sh to install Docker, start dockerd and build the image.", shared.unavailable)
		if os.Getenv(envRequireDocker) == "1" {
			t.Fatal(msg + " (" + envRequireDocker + "=1, so this is a failure, not a skip)")
		}
		t.Skip(msg)
	case shared.err != nil:
		t.Fatalf("pgtest: starting the shared PostgreSQL container: %v", shared.err)
	}

	name := dbName(t.Name())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := adminExec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("pgtest: creating database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// FORCE closes connections the test left open.
		if err := adminExec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: dropping database %s: %v", name, err)
		}
	})
	return dsnFor(shared.port, name)
}

func dsnFor(port int, db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", superuser, port, db)
}

func adminExec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, dsnFor(shared.port, "postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// dbName makes a database name from a test name: lower case letters, digits
// and underscores, a random suffix, at most 63 bytes (PostgreSQL's limit).
func dbName(testName string) string {
	var b strings.Builder
	b.WriteString("t_")
	lastUnderscore := true
	for _, r := range strings.ToLower(testName) {
		if b.Len() >= 2+40 {
			break
		}
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			lastUnderscore = false
		} else if !lastUnderscore {
			b.WriteByte('_')
			lastUnderscore = true
		}
	}
	if !lastUnderscore {
		b.WriteByte('_')
	}
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix) // never fails (crypto/rand)
	b.WriteString(hex.EncodeToString(suffix))
	return b.String()
}

// start starts the shared container. Errors are returned in the server,
// never raised on t: t only logs (the container outlives t).
func start(t testing.TB) server {
	if os.Getenv(envRyukDisabled) == "" {
		// The reaper image cannot be pulled here; Main terminates the container.
		_ = os.Setenv(envRyukDisabled, "true")
	}
	image := os.Getenv(envImage)
	if image == "" {
		image = DefaultImage
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*startTimeout)
	defer cancel()

	cli, err := dockerClient(ctx)
	if err != nil {
		return server{unavailable: fmt.Errorf("no Docker engine answers (DOCKER_HOST=%q; default /var/run/docker.sock): %w",
			os.Getenv("DOCKER_HOST"), err)}
	}
	defer cli.Close()
	if _, err := cli.ImageInspect(ctx, image); err != nil {
		return server{unavailable: fmt.Errorf("image %s not found locally (no registry is used): %w", image, err)}
	}
	reapStale(ctx, t, cli)

	var lastErr error
	for try := 1; try <= startTries; try++ {
		srv, retry, err := startOnce(ctx, t, image)
		if err == nil {
			return srv
		}
		lastErr = err
		if !retry {
			break
		}
		t.Logf("pgtest: try %d of %d failed, retrying on another port: %v", try, startTries, err)
	}
	return server{err: lastErr}
}

// dockerClient connects to the engine, turning the client's panics (it has
// some for odd environments) into errors.
func dockerClient(ctx context.Context) (cli *testcontainers.DockerClient, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return testcontainers.NewDockerClientWithOpts(ctx)
}

// startOnce runs one container on a fresh port and waits until PostgreSQL
// answers. retry reports whether the failure was a port conflict.
func startOnce(ctx context.Context, t testing.TB, image string) (srv server, retry bool, err error) {
	port, err := freeport.Loopback()
	if err != nil {
		return server{}, false, fmt.Errorf("choosing a port: %w", err)
	}
	tcLog := &bufLogger{}
	began := time.Now()
	script := strings.Join([]string{
		"set -e",
		"D=$(mktemp -d /tmp/pgdata.XXXXXX)",
		`initdb -D "$D" -U ` + superuser + ` --auth=trust -E UTF8 --locale=C --no-sync >/tmp/initdb.log 2>&1 || { cat /tmp/initdb.log; exit 1; }`,
		`exec postgres -D "$D" -k "$D"` +
			" -c listen_addresses=127.0.0.1 -p " + strconv.Itoa(port) +
			" -c fsync=off -c synchronous_commit=off -c full_page_writes=off" +
			" -c jit=off -c max_connections=300" +
			" -c timezone=" + ServerTimeZone + " -c log_timezone=" + ServerTimeZone,
	}, "\n")
	hostname, _ := os.Hostname()
	ctr, err := testcontainers.Run(ctx, image,
		testcontainers.WithLogger(tcLog),
		testcontainers.WithEntrypoint("/bin/sh", "-c"),
		testcontainers.WithCmd(script),
		testcontainers.WithLabels(map[string]string{
			labelPgtest:   "1",
			labelPID:      strconv.Itoa(os.Getpid()),
			labelHostname: hostname,
		}),
		// Data in memory: faster than vfs, and nothing to clean up on disk.
		testcontainers.WithTmpfs(map[string]string{"/tmp": "rw,mode=1777"}),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			hc.NetworkMode = "host"
			hc.ShmSize = 256 << 20
		}),
	)
	fail := func(cause error) (server, bool, error) {
		logs := containerLogs(ctr)
		retry := strings.Contains(logs, "could not bind") || strings.Contains(logs, "Address already in use")
		t.Logf("pgtest: PostgreSQL container failed to start: %v\n--- testcontainers log ---\n%s--- container log ---\n%s--- end ---",
			cause, tcLog.String(), logs)
		if ctr != nil {
			tctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := ctr.Terminate(tctx, testcontainers.StopTimeout(0)); err != nil {
				t.Logf("pgtest: terminating the failed container: %v", err)
			}
		}
		return server{}, retry, cause
	}
	if err != nil {
		return fail(err)
	}
	if err := waitReady(ctx, ctr, port); err != nil {
		return fail(err)
	}
	t.Logf("pgtest: PostgreSQL container %s (%s) ready on 127.0.0.1:%d in %s",
		shortID(ctr.GetContainerID()), image, port, time.Since(began).Round(10*time.Millisecond))
	return server{ctr: ctr, port: port}, false, nil
}

// waitReady pings PostgreSQL with pgx until it answers, the container
// exits, or startTimeout passes.
func waitReady(ctx context.Context, ctr *testcontainers.DockerContainer, port int) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	dsn := dsnFor(port, "postgres") + "&connect_timeout=2"
	var lastErr error
	for {
		if err := ping(ctx, dsn); err == nil {
			return nil
		} else {
			lastErr = err
		}
		state, err := ctr.State(ctx)
		if err == nil && !state.Running {
			return fmt.Errorf("container exited (status %s, exit code %d) before PostgreSQL answered: %v",
				state.Status, state.ExitCode, lastErr)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("PostgreSQL did not answer within %s: %v", startTimeout, lastErr)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func ping(ctx context.Context, dsn string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	return conn.Ping(ctx)
}

// reapStale removes containers of earlier test binaries on this host that
// died without terminating theirs (killed, or timed out by go test).
func reapStale(ctx context.Context, t testing.TB, cli *testcontainers.DockerClient) {
	hostname, _ := os.Hostname()
	list, err := cli.ContainerList(ctx, client.ContainerListOptions{
		All:     true,
		Filters: make(client.Filters).Add("label", labelPgtest+"=1", labelHostname+"="+hostname),
	})
	if err != nil {
		t.Logf("pgtest: listing stale containers: %v", err)
		return
	}
	for _, c := range list.Items {
		pid, err := strconv.Atoi(c.Labels[labelPID])
		if err != nil || pid <= 0 || processAlive(pid) {
			continue
		}
		if _, err := cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
			t.Logf("pgtest: removing stale container %s of dead process %d: %v", shortID(c.ID), pid, err)
			continue
		}
		t.Logf("pgtest: removed stale container %s of dead process %d", shortID(c.ID), pid)
	}
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

func containerLogs(ctr *testcontainers.DockerContainer) string {
	if ctr == nil {
		return "(no container)\n"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rc, err := ctr.Logs(ctx)
	if err != nil {
		return fmt.Sprintf("(reading logs: %v)\n", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return fmt.Sprintf("%s\n(reading logs: %v)\n", b, err)
	}
	return string(b)
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// bufLogger keeps testcontainers' log lines, shown only when the start
// fails (the shared container outlives the test that started it, so
// t.Logf cannot be used for its later lines).
type bufLogger struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *bufLogger) Printf(format string, v ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(&l.b, format, v...)
	if !strings.HasSuffix(l.b.String(), "\n") {
		l.b.WriteByte('\n')
	}
}

func (l *bufLogger) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
