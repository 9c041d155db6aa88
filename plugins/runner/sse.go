package runner

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/internal/auth"
)

// ServeEvents streams a run's log as Server-Sent Events, for curl users:
//
//	curl -N -H 'Accept: text/event-stream' -H "Authorization: Bearer $TOKEN" \
//	  https://pont.example.com/api/runs/RUN/events
//
// Each event has the run's sequence number as its id (a client that
// reconnects sends it back as Last-Event-ID and resumes after it), the
// kind as its event name (log, step, state) and the message as data. The
// stream ends when the run has finished. The principal is the request's,
// put in its context by the authentication middleware.
func (r *Runner) ServeEvents(w http.ResponseWriter, req *http.Request, runID string) {
	after := 0
	for _, v := range []string{req.Header.Get("Last-Event-ID"), req.URL.Query().Get("after")} {
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			http.Error(w, "after: not a sequence number", http.StatusBadRequest)
			return
		}
		after = n
	}
	events, err := r.Follow(req.Context(), runID, after)
	var denied *auth.DeniedError
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		http.Error(w, "run not found", http.StatusNotFound)
		return
	case errors.As(err, &denied) && denied.Anonymous:
		http.Error(w, denied.Error(), http.StatusUnauthorized)
		return
	case errors.As(err, &denied):
		http.Error(w, denied.Error(), http.StatusForbidden)
		return
	case err != nil:
		r.o.Log.Error("follow a run", "run", runID, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	for e := range events {
		data, _ := json.Marshal(map[string]any{"seq": e.Seq, "time": e.Time, "kind": e.Kind, "message": e.Message})
		// One data line: the JSON has no raw newlines.
		if _, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", e.Seq, e.Kind, strings.TrimSpace(string(data))); err != nil {
			return
		}
		_ = rc.Flush()
	}
}
