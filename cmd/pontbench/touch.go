package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

var (
	docSep    = regexp.MustCompile(`(?m)^---\n`)
	kindComp  = regexp.MustCompile(`(?m)^kind: Component$`)
	metaName  = regexp.MustCompile(`(?m)^  name: (\S+)$`)
	metaDescr = regexp.MustCompile(`(?m)^  description: .*$`)
)

// touchCount is how many files the touch phase edits.
const touchCount = 5

// touchResult is one edited file.
type touchResult struct {
	File     string
	Entity   string
	Visible  time.Duration
	Polls    int
	Vanished int // polls that found the entity missing (404) meanwhile
}

// touchFiles rewrites, one after the other, touchCount repos/*.yaml files
// of the run's copy of the catalog with a new metadata.description for
// their first Component, and times each until GET by-name serves it.
func touchFiles(ctx context.Context, c *api, catDir string) ([]touchResult, error) {
	files, err := filepath.Glob(filepath.Join(catDir, "repos", "repo-*.yaml"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no repos/repo-*.yaml in %s", catDir)
	}
	sort.Strings(files)
	var out []touchResult
	for k := 0; k < touchCount; k++ {
		f := files[(2*k+1)*len(files)/(2*touchCount)]
		tr, err := touchOne(ctx, c, f, k+1)
		if err != nil {
			return out, err
		}
		out = append(out, tr)
		time.Sleep(100 * time.Millisecond)
	}
	return out, nil
}

func touchOne(ctx context.Context, c *api, file string, k int) (touchResult, error) {
	tr := touchResult{File: filepath.Base(file)}
	b, err := os.ReadFile(file)
	if err != nil {
		return tr, err
	}
	docs := docSep.Split(string(b), -1)
	idx := -1
	for i, d := range docs {
		if kindComp.MatchString(d) {
			idx = i
			break
		}
	}
	if idx < 0 {
		return tr, fmt.Errorf("%s: no Component document", file)
	}
	name := metaName.FindStringSubmatch(docs[idx])
	if name == nil || !metaDescr.MatchString(docs[idx]) {
		return tr, fmt.Errorf("%s: the Component has no metadata.name or metadata.description line", file)
	}
	tr.Entity = "component:default/" + name[1]
	descr := fmt.Sprintf("pontbench touch %d at %s", k, time.Now().UTC().Format(time.RFC3339Nano))
	docs[idx] = metaDescr.ReplaceAllLiteralString(docs[idx], `  description: "`+descr+`"`)
	text := strings.Join(docs, "---\n")

	path := "/api/catalog/entities/by-name/component/default/" + name[1]
	t0 := time.Now()
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		return tr, err
	}
	deadline := t0.Add(60 * time.Second)
	for {
		code, body, err := c.do(ctx, http.MethodGet, path, nil)
		if err != nil {
			return tr, err
		}
		tr.Polls++
		switch code {
		case http.StatusOK:
			var e struct {
				Metadata struct {
					Description string `json:"description"`
				} `json:"metadata"`
			}
			if err := json.Unmarshal(body, &e); err != nil {
				return tr, fmt.Errorf("GET %s: decoding: %w", path, err)
			}
			if e.Metadata.Description == descr {
				tr.Visible = time.Since(t0)
				return tr, nil
			}
		case http.StatusNotFound:
			tr.Vanished++
		default:
			return tr, &statusError{"GET", path, code, body}
		}
		if time.Now().After(deadline) {
			return tr, fmt.Errorf("the new description of %s (%s) was not served within 60s", tr.Entity, tr.File)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
