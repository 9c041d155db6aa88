package main

import (
	"fmt"
	"github.com/pont-dev/pont/internal/testutil/wait"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestProcessingErrorsThroughTheAPI: an entity that stops validating keeps
// its stored version and shows the error in status.items; a file that
// cannot be parsed shows its error on the registered location's entity.
func TestProcessingErrorsThroughTheAPI(t *testing.T) {
	dir := t.TempDir()
	good := "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: %s}\nspec: {type: service, lifecycle: production, owner: team-a}\n"
	os.WriteFile(filepath.Join(dir, "a.yaml"), []byte(fmt.Sprintf(good, "svc-a")), 0o644)
	os.WriteFile(filepath.Join(dir, "all.yaml"), []byte("apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: all}\nspec: {targets: [./a.yaml, ./broken.yaml]}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "broken.yaml"), []byte("a: [unclosed\n"), 0o644)
	base := startServe(t, databaseConfig(t, "sqlite")+fmt.Sprintf("catalog:\n  locations: [{type: file, target: %q}]\n", filepath.Join(dir, "all.yaml")))
	api := base + "/api/catalog"
	var loc []struct{ Data struct{ EntityRef string } }
	wait.For(t, 10*time.Second, "the location", func() bool {
		getJSON(t, api+"/locations", &loc)
		return len(loc) == 1
	})
	var e struct {
		Metadata struct{ Etag string }
		Status   struct {
			Items []struct{ Type, Level, Message string }
		}
	}
	ref := strings.SplitN(strings.Replace(loc[0].Data.EntityRef, ":", "/", 1), "/", 3)
	wait.For(t, 10*time.Second, "the file error on the location entity", func() bool {
		getJSON(t, fmt.Sprintf("%s/entities/by-name/%s/%s/%s", api, ref[0], ref[1], ref[2]), &e)
		return len(e.Status.Items) > 0
	})
	if it := e.Status.Items[0]; it.Type != "backstage.io/catalog-processing" || it.Level != "error" || !strings.Contains(it.Message, "broken.yaml") {
		t.Fatalf("status item = %+v", it)
	}
	// svc-a loses its owner: the stored version stays, with the error.
	wait.For(t, 10*time.Second, "svc-a", func() bool {
		return getJSON(t, api+"/entities/by-name/component/default/svc-a", &e) == http.StatusOK
	})
	etag := e.Metadata.Etag
	os.WriteFile(filepath.Join(dir, "a.yaml"), []byte(strings.Replace(fmt.Sprintf(good, "svc-a"), ", owner: team-a", "", 1)), 0o644)
	wait.For(t, 10*time.Second, "the error on svc-a", func() bool {
		e.Status.Items = nil
		getJSON(t, api+"/entities/by-name/component/default/svc-a", &e)
		return len(e.Status.Items) > 0
	})
	if !strings.Contains(e.Status.Items[0].Message, "spec.owner") || e.Metadata.Etag != etag {
		t.Fatalf("svc-a after the bad edit: etag %s (was %s), status %+v", e.Metadata.Etag, etag, e.Status.Items)
	}
}
