package main

import (
	"context"
	"fmt"
	"io"

	"github.com/pont-dev/pont/internal/database"
)

func migrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cf := newFlags("migrate", stderr)
	if err := cf.fs.Parse(args); err != nil {
		return err
	}
	cfg, err := cf.load()
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log, stderr)
	db, err := database.Open(ctx, cfg.Database)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx, log); err != nil {
		return err
	}
	cur, latest, err := db.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "database schema at version %d (latest %d)\n", cur, latest)
	return nil
}
