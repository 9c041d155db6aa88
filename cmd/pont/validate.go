package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"github.com/pont-dev/pont/catalog"
)

// validate checks descriptor files offline, as a location would read them
// (placeholders and Location targets included, confined to each file's
// folder), with every builtin kind allowed. It prints one line per error:
// file, document, line, field and reason; the exit code is 1 on any error.
func validate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: pont validate FILE...")
		return 2
	}
	bad := 0
	for _, file := range args {
		abs, err := filepath.Abs(file)
		if err != nil {
			fmt.Fprintf(stdout, "%s: %v\n", file, err)
			bad++
			continue
		}
		reader, err := catalog.NewReader(catalog.ReaderConfig{FileRoots: []string{filepath.Dir(abs)}})
		if err != nil {
			fmt.Fprintf(stdout, "%s: %v\n", file, err)
			bad++
			continue
		}
		p := catalog.NewProcessor(nil, reader, catalog.ProcessorConfig{Rules: []catalog.Rule{{Allow: catalog.BuiltinKinds()}}}, slog.New(slog.DiscardHandler))
		res, err := p.DryRun(ctx, catalog.Location{ID: "validate", Type: "file", Target: abs})
		if err != nil {
			fmt.Fprintf(stdout, "%s: %v\n", file, err)
			bad++
			continue
		}
		for _, pe := range res.Errors {
			fmt.Fprintln(stdout, catalog.DescribeError(pe))
		}
		if len(res.Errors) > 0 {
			bad++
			continue
		}
		fmt.Fprintf(stdout, "%s: ok (%d entities)\n", file, len(res.Entities)-1)
	}
	if bad > 0 {
		return 1
	}
	return 0
}
