package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pont-dev/pont/internal/testutil/freeport"
)

const (
	labelBench = "dev.pont.bench"
	labelPID   = "dev.pont.bench.pid"
)

// pgFlags are the server settings of the benchmark's PostgreSQL: those of
// internal/testutil/pgtest but durable (fsync, synchronous_commit and
// full_page_writes at their defaults, on) and with the data on the
// container's disk, not tmpfs. jit is off because the image has no LLVM.
const pgFlags = "-c jit=off -c max_connections=300"

// postgres is the one PostgreSQL container of a benchmark session.
type postgres struct {
	name string
	port int
	info pgInfo
}

// pgInfo describes the server for the report.
type pgInfo struct {
	Image    string
	Version  string
	Flags    string
	Settings string // SHOW of the settings that matter for durability and memory
}

func docker(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "docker", args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("docker %s: %w: %s", args[0], err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// startPostgres runs the container with host networking on a free port
// of 127.0.0.1 and waits until PostgreSQL answers.
func startPostgres(ctx context.Context, image, name string, logf func(string, ...any)) (*postgres, error) {
	if _, err := docker(ctx, "image", "inspect", "--format", "{{.Id}}", image); err != nil {
		return nil, fmt.Errorf("image %s not found locally (run deploy/testenv/setup.sh): %w", image, err)
	}
	reapStale(ctx, logf)
	var lastErr error
	for try := 1; try <= 3; try++ {
		port, err := freeport.Loopback()
		if err != nil {
			return nil, err
		}
		script := strings.Join([]string{
			"set -e",
			"D=$(mktemp -d /tmp/pgdata.XXXXXX)",
			`initdb -D "$D" -U postgres --auth=trust -E UTF8 --locale=C >/tmp/initdb.log 2>&1 || { cat /tmp/initdb.log; exit 1; }`,
			`exec postgres -D "$D" -k "$D" -c listen_addresses=127.0.0.1 -p ` + strconv.Itoa(port) + " " + pgFlags,
		}, "\n")
		_, _ = docker(context.Background(), "rm", "-f", "-v", name) // a leftover of the same name
		began := time.Now()
		if _, err := docker(ctx, "run", "-d", "--name", name,
			"--label", labelBench+"=1", "--label", labelPID+"="+strconv.Itoa(os.Getpid()),
			"--network", "host", "--shm-size", "256m",
			"--entrypoint", "/bin/sh", image, "-c", script); err != nil {
			return nil, err
		}
		pg := &postgres{name: name, port: port}
		err = pg.waitReady(ctx, 60*time.Second)
		if err == nil {
			logf("postgres: ready on 127.0.0.1:%d in %s", port, time.Since(began).Round(10*time.Millisecond))
			pg.info, err = pg.describe(ctx, image)
			if err != nil {
				_ = pg.remove()
				return nil, err
			}
			return pg, nil
		}
		logs, _ := docker(context.Background(), "logs", "--tail", "30", name)
		_ = pg.remove()
		lastErr = fmt.Errorf("%w\n--- container log ---\n%s", err, logs)
		if !strings.Contains(logs, "could not bind") && !strings.Contains(logs, "Address already in use") {
			break
		}
		logf("postgres: port %d was taken, retrying (%d of 3)", port, try)
	}
	return nil, lastErr
}

// reapStale removes containers of earlier benchmark drivers that died
// without removing theirs.
func reapStale(ctx context.Context, logf func(string, ...any)) {
	out, err := docker(ctx, "ps", "-a", "--filter", "label="+labelBench+"=1", "--format", `{{.ID}} {{.Label "`+labelPID+`"}}`)
	if err != nil {
		return
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		id, pidStr, _ := strings.Cut(line, " ")
		pid, err := strconv.Atoi(pidStr)
		if id == "" || err != nil || pid <= 0 {
			continue
		}
		if err := syscall.Kill(pid, 0); err == nil || errors.Is(err, syscall.EPERM) {
			continue // its driver is alive
		}
		if _, err := docker(ctx, "rm", "-f", "-v", id); err == nil {
			logf("postgres: removed stale container %s of dead driver %d", id, pid)
		}
	}
}

func (p *postgres) dsn(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.port, db)
}

func (p *postgres) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var lastErr error
	for {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.Connect(cctx, p.dsn("postgres"))
		if err == nil {
			err = conn.Ping(cctx)
			conn.Close(context.Background())
		}
		cancel()
		if err == nil {
			return nil
		}
		lastErr = err
		running, _ := docker(ctx, "inspect", "--format", "{{.State.Running}}", p.name)
		if strings.TrimSpace(running) == "false" {
			return fmt.Errorf("container exited before PostgreSQL answered: %v", lastErr)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("PostgreSQL did not answer within %s: %v", timeout, lastErr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (p *postgres) exec(ctx context.Context, sql string) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.dsn("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

func (p *postgres) describe(ctx context.Context, image string) (pgInfo, error) {
	info := pgInfo{Image: image, Flags: pgFlags}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.dsn("postgres"))
	if err != nil {
		return info, err
	}
	defer conn.Close(context.Background())
	if err := conn.QueryRow(ctx, "SELECT version()").Scan(&info.Version); err != nil {
		return info, fmt.Errorf("SELECT version(): %w", err)
	}
	var settings []string
	for _, s := range []string{"fsync", "synchronous_commit", "full_page_writes", "shared_buffers", "work_mem", "max_connections", "jit"} {
		var v string
		if err := conn.QueryRow(ctx, "SHOW "+s).Scan(&v); err != nil {
			return info, fmt.Errorf("SHOW %s: %w", s, err)
		}
		settings = append(settings, s+"="+v)
	}
	info.Settings = strings.Join(settings, ", ")
	return info, nil
}

// createDB makes a fresh database and returns its DSN.
func (p *postgres) createDB(ctx context.Context, name string) (string, error) {
	if err := p.exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("CREATE DATABASE %s: %w", name, err)
	}
	return p.dsn(name), nil
}

func (p *postgres) dropDB(name string) error {
	return p.exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
}

// dbSize is pg_database_size of the database.
func (p *postgres) dbSize(ctx context.Context, name string) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.dsn("postgres"))
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.Background())
	var n int64
	err = conn.QueryRow(ctx, "SELECT pg_database_size($1)", name).Scan(&n)
	return n, err
}

func (p *postgres) remove() error {
	_, err := docker(context.Background(), "rm", "-f", "-v", p.name)
	return err
}
