// Command pont is Pont's one binary: it serves the catalog (serve), checks
// descriptors offline (validate), loads locations once (ingest), migrates
// the database (migrate) and reports its version (version).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/pont-dev/pont/internal/config"
)

// version is set at build time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

const usage = `pont: an internal developer portal in one binary.

Usage:
  pont serve    [flags]          serve the catalog API on 127.0.0.1:7007
  pont validate FILE...          check descriptor files; exit 1 on any error
  pont ingest   [flags] TARGET...  register file or url locations and load them once
  pont migrate  [flags]          apply pending database migrations
  pont version                   print the version

Run "pont COMMAND -h" for a command's flags.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, args[1:], stderr)
	case "validate":
		return validate(ctx, args[1:], stdout, stderr)
	case "ingest":
		err = ingest(ctx, args[1:], stdout, stderr)
	case "migrate":
		err = migrate(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintf(stdout, "pont %s (%s %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "pont: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "pont %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

// commonFlags are the flags every command that reads configuration takes;
// each sets one configuration key over the file and the environment.
type commonFlags struct {
	fs     *flag.FlagSet
	config string
}

// flagKeys maps flags to configuration keys; boolean keys take a plain
// switch (--allow-non-loopback) as well as =true or =false.
var flagKeys = []struct {
	flag, key, help string
	boolean         bool
}{
	{"addr", "server.addr", "listen address (server.addr)", false},
	{"db-driver", "database.driver", "sqlite or postgres (database.driver)", false},
	{"db-dsn", "database.dsn", "SQLite file or PostgreSQL URL (database.dsn)", false},
	{"log-level", "log.level", "debug, info, warn or error (log.level)", false},
	{"log-format", "log.format", "text or json (log.format)", false},
	{"allow-non-loopback", "server.allowNonLoopback", "allow a non-loopback listen address (server.allowNonLoopback)", true},
	{"file-roots", "catalog.files.roots", "comma-separated folders file locations may read (catalog.files.roots)", false},
	{"refresh-interval", "catalog.refreshInterval", "full refresh interval, like 2m (catalog.refreshInterval)", false},
}

func newFlags(name string, stderr io.Writer) *commonFlags {
	cf := &commonFlags{fs: flag.NewFlagSet(name, flag.ContinueOnError)}
	cf.fs.SetOutput(stderr)
	cf.fs.StringVar(&cf.config, "config", os.Getenv("PONT_CONFIG"), "configuration file (YAML); also PONT_CONFIG")
	for _, f := range flagKeys {
		if f.boolean {
			cf.fs.Bool(f.flag, false, f.help)
		} else {
			cf.fs.String(f.flag, "", f.help)
		}
	}
	return cf
}

// load reads the configuration: defaults, file, environment, then flags.
func (cf *commonFlags) load() (config.Config, error) {
	cfg, err := config.Load(cf.config, os.Environ())
	if err != nil {
		return cfg, err
	}
	var errs []error
	cf.fs.Visit(func(f *flag.Flag) {
		for _, fk := range flagKeys {
			if fk.flag == f.Name {
				if err := config.Set(&cfg, fk.key, f.Value.String()); err != nil {
					errs = append(errs, fmt.Errorf("--%s: %w", f.Name, err))
				}
			}
		}
	})
	if err := errors.Join(errs...); err != nil {
		return cfg, err
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return cfg, nil
}

// newLogger builds the one logger passed down everywhere.
func newLogger(cfg config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
