package restapi

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/pont-dev/pont/catalog"
)

// processingStatusType is the status item type Backstage uses for errors
// met while processing an entity.
const processingStatusType = "backstage.io/catalog-processing"

// renderEntity writes the stored entity as Backstage serves it: the body
// with metadata.uid and metadata.etag, its relations and, when processing
// failed, status.items. The body is stored without those so that none of
// them forces a rewrite of the body; they are spliced in here.
func renderEntity(buf *bytes.Buffer, e *catalog.StoredEntity) {
	body := e.Body
	const marker = `"metadata":{`
	i := bytes.Index(body, []byte(marker))
	if i < 0 || len(body) < 2 {
		buf.Write(body)
		return
	}
	i += len(marker)
	buf.Write(body[:i])
	buf.WriteString(`"uid":`)
	writeJSONString(buf, e.UID)
	buf.WriteString(`,"etag":`)
	writeJSONString(buf, e.Etag)
	if body[i] != '}' {
		buf.WriteByte(',')
	}
	rest := body[i : len(body)-1] // without the closing brace of the entity
	buf.Write(rest)
	buf.WriteString(`,"relations":[`)
	for j, r := range e.Relations {
		if j > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(`{"type":`)
		writeJSONString(buf, r.Type)
		buf.WriteString(`,"targetRef":`)
		writeJSONString(buf, r.TargetRef)
		buf.WriteByte('}')
	}
	buf.WriteByte(']')
	if len(e.Errors) > 0 {
		buf.WriteString(`,"status":{"items":[`)
		for j, pe := range e.Errors {
			if j > 0 {
				buf.WriteByte(',')
			}
			msg := catalog.DescribeError(pe)
			item := map[string]any{
				"type":    processingStatusType,
				"level":   "error",
				"message": msg,
				"error":   map[string]any{"name": "InputError", "message": msg},
			}
			b, _ := json.Marshal(item)
			buf.Write(b)
		}
		buf.WriteString(`]}`)
	}
	buf.WriteByte('}')
}

func writeJSONString(buf *bytes.Buffer, s string) {
	b, _ := json.Marshal(s)
	buf.Write(b)
}

// project keeps only the given dotted field paths of a rendered entity, as
// Backstage's fields parameter does. Objects are decoded one level at a
// time, and only along the paths asked for: a page of 1,000 entities with
// fields=kind,metadata.name,relations does not build 1,000 full trees.
func project(raw []byte, fields []string) ([]byte, error) {
	if len(fields) == 0 {
		return raw, nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, err
	}
	out := projected{}
	for _, f := range fields {
		copyPath(top, out, strings.Split(f, "."))
	}
	return json.Marshal(out)
}

// projected is the output being built: values are json.RawMessage (copied
// whole) or projected (an object of which only some keys are kept).
type projected map[string]any

func copyPath(src map[string]json.RawMessage, dst projected, path []string) {
	v, ok := src[path[0]]
	if !ok {
		return
	}
	if len(path) == 1 {
		dst[path[0]] = v
		return
	}
	next, ok := dst[path[0]].(projected)
	if !ok {
		if _, whole := dst[path[0]]; whole {
			return // the whole object is in already
		}
		next = projected{}
	}
	var sub map[string]json.RawMessage
	if json.Unmarshal(v, &sub) != nil {
		return // not an object: the path does not exist
	}
	copyPath(sub, next, path[1:])
	// Like Backstage (lodash get, then set), a path that leads nowhere
	// leaves no empty object behind.
	if len(next) > 0 {
		dst[path[0]] = next
	}
}
