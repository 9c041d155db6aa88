package graphtest

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// WSClient speaks graphql-transport-ws to a GraphQL endpoint over a real
// socket, as a browser's client would.
type WSClient struct {
	t    testing.TB
	Conn *websocket.Conn
	msgs chan map[string]any
	// Done receives the read error once the connection is gone.
	Done chan error
}

// DialWS opens a socket to the GraphQL endpoint under base (an http://
// URL; /api/graphql is appended) with the given request headers.
func DialWS(t testing.TB, base string, header http.Header) (*WSClient, *http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/api/graphql", &websocket.DialOptions{
		Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: header,
	})
	if err != nil {
		return nil, resp, err
	}
	conn.SetReadLimit(16 << 20)
	c := &WSClient{t: t, Conn: conn, msgs: make(chan map[string]any, 1000), Done: make(chan error, 1)}
	t.Cleanup(func() { conn.CloseNow() })
	go func() {
		for {
			_, data, err := conn.Read(context.Background())
			if err != nil {
				c.Done <- err
				close(c.msgs)
				return
			}
			var m map[string]any
			if json.Unmarshal(data, &m) == nil {
				c.msgs <- m
			}
		}
	}()
	return c, resp, nil
}

// Send writes one protocol message.
func (c *WSClient) Send(v any) {
	c.t.Helper()
	data, _ := json.Marshal(v)
	if err := c.Conn.Write(context.Background(), websocket.MessageText, data); err != nil {
		c.t.Fatalf("websocket write: %v", err)
	}
}

// Next returns the next message other than ping/pong/ka, or nil when the
// connection closed or nothing came within d.
func (c *WSClient) Next(d time.Duration) map[string]any {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case m, ok := <-c.msgs:
			if !ok {
				return nil
			}
			switch m["type"] {
			case "ping":
				c.Send(map[string]any{"type": "pong"})
				continue
			case "pong", "ka":
				continue
			}
			return m
		case <-timer.C:
			return nil
		}
	}
}

// Subscribe opens a socket, initialises it and subscribes (id "1"); it
// returns the client and whether the server acknowledged the connection.
func Subscribe(t testing.TB, base string, header http.Header, query string, vars map[string]any) (*WSClient, bool) {
	t.Helper()
	c, _, err := DialWS(t, base, header)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	c.Send(map[string]any{"type": "connection_init", "payload": map[string]any{}})
	m := c.Next(5 * time.Second)
	if m == nil || m["type"] != "connection_ack" {
		return c, false
	}
	c.Send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": query, "variables": vars}})
	return c, true
}
