package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/pont-dev/pont/ent/auditevent"
	"github.com/pont-dev/pont/internal/audit"
	"github.com/pont-dev/pont/internal/auth/principal"
	"github.com/pont-dev/pont/internal/testutil/dbtest"
	"github.com/pont-dev/pont/internal/testutil/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestRecordAndPrune: a record names who, what, from where and the
// outcome, in the database and as one JSON log line; Prune deletes only
// what is older than the cutoff.
func TestRecordAndPrune(t *testing.T) {
	for name, cfg := range dbtest.Configs(t) {
		t.Run(name, func(t *testing.T) {
			db := dbtest.Open(t, cfg)
			var logs bytes.Buffer
			l := audit.New(db.Ent, slog.New(slog.NewJSONHandler(&logs, nil)))
			p := &principal.Principal{Kind: principal.Session, Subject: "iss|1", User: "user:default/jdoe"}
			ctx := audit.WithRequest(principal.NewContext(context.Background(), p), audit.Request{RemoteAddr: "127.0.0.1:5555", RequestID: "req-1"})
			l.Record(ctx, audit.Event{Action: "catalog.location.delete", Target: "loc-1", Outcome: audit.Denied, Reason: "not yours", Details: map[string]any{"type": "url"}})

			sys := principal.SystemContext(context.Background())
			got, err := db.Ent.AuditEvent.Query().Only(sys)
			if err != nil {
				t.Fatal(err)
			}
			if got.Actor != "user:default/jdoe" || got.ActorKind != "session" || got.Action != "catalog.location.delete" || got.Target != "loc-1" ||
				got.Outcome != auditevent.OutcomeDenied || got.Reason != "not yours" || got.RemoteAddr != "127.0.0.1:5555" || got.RequestID != "req-1" || got.Details != `{"type":"url"}` {
				t.Fatalf("record = %+v", got)
			}
			var line map[string]any
			if err := json.Unmarshal(bytes.TrimSpace(logs.Bytes()), &line); err != nil || line["msg"] != "audit" || line["actor"] != "user:default/jdoe" || line["outcome"] != "denied" {
				t.Fatalf("log line %q: %v", logs.String(), err)
			}
			// Someone not an admin cannot read the trail through ent.
			if _, err := db.Ent.AuditEvent.Query().All(ctx); err == nil || !strings.Contains(err.Error(), "admins only") {
				t.Fatalf("a non-admin read the audit trail: %v", err)
			}

			n, err := l.Prune(context.Background(), time.Now().Add(-time.Hour))
			if err != nil || n != 0 {
				t.Fatalf("prune of nothing old: %d %v", n, err)
			}
			n, err = l.Prune(context.Background(), time.Now().Add(time.Minute))
			if err != nil || n != 1 {
				t.Fatalf("prune: %d %v", n, err)
			}
		})
	}
}
