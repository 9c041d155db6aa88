package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pont-dev/pont/catalog"
)

// validate checks descriptor files offline as a location reads them
// (placeholders resolved within each file's folder; the targets of Location
// entities are not followed), with every builtin kind allowed. It prints one
// line per error, naming the file, the document, the line, the field and the
// reason, and exits 1 on any error.
func validate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: pont validate FILE...")
		return 2
	}
	var abs, roots []string
	for _, f := range args {
		a, err := filepath.Abs(f)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", f, err)
			return 2
		}
		abs = append(abs, a)
		roots = append(roots, filepath.Dir(a))
	}
	reader, err := catalog.NewReader(catalog.ReaderConfig{FileRoots: roots})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	p := catalog.NewProcessor(nil, reader, catalog.ProcessorConfig{Rules: []catalog.Rule{{Allow: catalog.BuiltinKinds()}}}, slog.New(slog.DiscardHandler))
	res := p.ValidateFiles(ctx, abs)
	sort.SliceStable(res.Errors, func(i, j int) bool {
		a, b := res.Errors[i], res.Errors[j]
		if a.Source != b.Source {
			return a.Source < b.Source
		}
		if a.Document != b.Document {
			return a.Document < b.Document
		}
		return a.Line < b.Line
	})
	for _, pe := range res.Errors {
		pe.Source = strings.TrimPrefix(pe.Source, "file:")
		fmt.Fprintln(stdout, catalog.DescribeError(pe))
	}
	if len(res.Errors) > 0 {
		fmt.Fprintf(stdout, "%d error(s) in %d file(s)\n", len(res.Errors), len(args))
		return 1
	}
	fmt.Fprintf(stdout, "ok: %d entities in %d file(s)\n", len(res.Entities), len(args))
	return 0
}
