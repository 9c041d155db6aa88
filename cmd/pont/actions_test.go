package main

import (
	"bufio"
	"fmt"
	"github.com/pont-dev/pont/internal/testutil/wait"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestServeRunsActions runs `pont serve` with the example plugin: an
// action is offered on a component, planned, run, and its log read back
// through GraphQL and as Server-Sent Events; a loud one waits for an
// approval that its requester may not give.
func TestServeRunsActions(t *testing.T) {
	cfg := databaseConfig(t, "sqlite") + fmt.Sprintf(`catalog:
  locations:
    - type: file
      target: %q
actions:
  example: true
`, repoRoot(t)+"/deploy/examples/all.yaml")
	base := startServe(t, cfg)
	c := http.DefaultClient
	wait.For(t, 30*time.Second, "the demo catalog", func() bool { return entityCount(t, base) > 10 })

	r := graphql(t, c, base, `{ actions(target: "component:default/shipment-tracker") { id title approval } }`)
	if len(r.Errors) > 0 || len(r.Data["actions"].([]any)) != 1 {
		t.Fatalf("actions: %+v", r)
	}
	r = graphql(t, c, base, `{ planAction(action: "example.announce", target: "shipment-tracker", input: {message: "hi", times: 2}) { summary changes { action kind } } }`)
	if len(r.Errors) > 0 || !strings.Contains(r.Data["planAction"].(map[string]any)["summary"].(string), `"hi" 2 time(s)`) {
		t.Fatalf("plan: %+v", r)
	}
	r = graphql(t, c, base, `mutation { runAction(action: "example.announce", target: "shipment-tracker", input: {message: ""}) { id } }`)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "BAD_USER_INPUT" || !strings.Contains(fmt.Sprint(r.Errors[0].Extensions["fields"]), "/message") {
		t.Fatalf("bad input: %+v", r)
	}
	r = graphql(t, c, base, `mutation { runAction(action: "example.announce", target: "shipment-tracker", input: {message: "deploy at noon", times: 2}) { id state } }`)
	if len(r.Errors) > 0 {
		t.Fatalf("run: %+v", r)
	}
	id := r.Data["runAction"].(map[string]any)["id"].(string)
	wait.For(t, 30*time.Second, "the run to succeed", func() bool {
		r := graphql(t, c, base, fmt.Sprintf(`{ run(id: %q) { state } }`, id))
		return len(r.Errors) == 0 && r.Data["run"].(map[string]any)["state"] == "SUCCEEDED"
	})

	// The same log for curl users.
	req, _ := http.NewRequest(http.MethodGet, base+"/api/runs/"+id+"/events", nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var stream strings.Builder
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		stream.WriteString(sc.Text() + "\n")
	}
	for _, want := range []string{"event: step", "2/2 component:default/shipment-tracker: deploy at noon", "event: state", `"message":"succeeded"`} {
		if !strings.Contains(stream.String(), want) {
			t.Errorf("event stream lacks %q:\n%s", want, stream.String())
		}
	}
	if code := getJSON(t, base+"/api/runs/nope/events", nil); code != http.StatusNotFound {
		t.Errorf("events of a missing run: %d", code)
	}

	// A loud announcement waits for someone else's approval.
	r = graphql(t, c, base, `mutation { runAction(action: "example.announce", target: "shipment-tracker", input: {message: "hey", loud: true}) { id state } }`)
	if len(r.Errors) > 0 || r.Data["runAction"].(map[string]any)["state"] != "PENDING_APPROVAL" {
		t.Fatalf("loud run: %+v", r)
	}
	loud := r.Data["runAction"].(map[string]any)["id"].(string)
	r = graphql(t, c, base, fmt.Sprintf(`mutation { approveRun(id: %q) { state } }`, loud))
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "FORBIDDEN" {
		t.Fatalf("self-approval: %+v", r)
	}
	r = graphql(t, c, base, fmt.Sprintf(`mutation { cancelRun(id: %q) { state } }`, loud))
	if len(r.Errors) > 0 || r.Data["cancelRun"].(map[string]any)["state"] != "CANCELLED" {
		t.Fatalf("cancel: %+v", r)
	}
}
