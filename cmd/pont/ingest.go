package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/pont-dev/pont/catalog"
)

// ingest registers each target as a location (file paths, or http(s)
// URLs) and loads it once, printing what it stored and every error.
func ingest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cf := newFlags("ingest", stderr)
	cpuProfile := cf.fs.String("cpuprofile", "", "write a CPU profile of the ingest to this file (for tuning)")
	if err := cf.fs.Parse(args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if cf.fs.NArg() == 0 {
		return errors.New("name at least one file or URL to ingest")
	}
	cfg, err := cf.load()
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log, stderr)
	// The files named on the command line are trusted like configuration.
	for _, t := range cf.fs.Args() {
		if !strings.Contains(t, "://") {
			abs, err := filepath.Abs(t)
			if err != nil {
				return err
			}
			cfg.Catalog.Files.Roots = append(cfg.Catalog.Files.Roots, filepath.Dir(abs))
		}
	}
	a, err := openApp(ctx, cfg, log, true)
	if err != nil {
		return err
	}
	defer a.close()
	failed := false
	for _, t := range cf.fs.Args() {
		typ, target := "url", t
		if !strings.Contains(t, "://") {
			typ = "file"
			target, _ = filepath.Abs(t)
		}
		loc, err := a.store.LocationByTarget(ctx, typ, target)
		if errors.Is(err, catalog.ErrNotFound) {
			if err = a.processor.Reader().CheckTarget(typ, target); err == nil {
				loc, err = a.store.CreateLocation(ctx, catalog.Location{Type: typ, Target: target, Origin: "api"})
			}
		}
		if err != nil {
			return fmt.Errorf("%s: %w", t, err)
		}
		start := time.Now()
		res, err := a.processor.Refresh(ctx, loc)
		if err != nil {
			return fmt.Errorf("%s: %w", t, err)
		}
		fmt.Fprintf(stdout, "%s: %d inserted, %d updated, %d unchanged, %d removed, %d conflicts in %s\n",
			t, res.Inserted, res.Updated, res.Unchanged, res.Removed, res.Conflicts, time.Since(start).Round(time.Millisecond))
		errs, err := a.store.ProviderErrors(ctx, catalog.LocationProvider(loc.ID))
		if err != nil {
			return err
		}
		for _, pe := range errs {
			failed = true
			fmt.Fprintf(stdout, "  error: %s\n", catalog.DescribeError(pe))
		}
	}
	if failed {
		return errors.New("some descriptors were refused (listed above)")
	}
	return nil
}
