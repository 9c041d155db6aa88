package catalog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Limits bound what one file may cost to parse. Descriptor files come from
// repositories and API callers Pont does not control, so every dimension an
// attacker can blow up (bytes, documents, nesting, alias expansion) has a cap.
//
// A zero or negative field means "use the default" (see DefaultLimits).
//
// Three further caps are derived from these, because yaml.v3 and the
// converted result cost memory in ways the four numbers alone do not bound:
//   - a document may hold at most 10*MaxNodes structural characters
//     (, [ { - : ?), checked before yaml.v3 sees the bytes. yaml.v3 builds a
//     document's whole node tree (about 200 bytes per node) before it can be
//     counted; without this check a 4 MiB `{a,a,a,…}` costs ~700 MB and 5 s.
//   - a file may hold at most 4*MaxNodes nodes in total after alias
//     expansion, so MaxDocuments small alias bombs cannot add up.
//   - a file may hold at most 2*MaxFileBytes bytes of text after alias
//     expansion, so aliasing one large string many times cannot turn a small
//     file into gigabytes of JSON once the entity is stored.
type Limits struct {
	// MaxFileBytes is the largest file accepted. Callers should read at most
	// MaxFileBytes+1 bytes and hand them all to Parse, which refuses the file
	// when it is longer than the limit.
	MaxFileBytes int64
	// MaxDocuments is the largest number of non-empty YAML documents in one
	// file. A file with more is refused whole: no document of it is returned,
	// so nothing of it is applied. At most as many empty documents (a stray
	// `---`) are tolerated besides.
	MaxDocuments int
	// MaxDepth is the deepest nesting of mappings and sequences, the
	// document's root mapping counting as 1.
	MaxDepth int
	// MaxNodes is the largest number of YAML nodes (scalars, mappings,
	// sequences, mapping keys) in one document after expanding aliases. It
	// is what stops "billion laughs" alias bombs.
	MaxNodes int
}

// DefaultLimits are generous for hand-written descriptors (Backstage's
// examples are a few kilobytes) and keep a hostile file to tens of megabytes
// of memory and well under a second of CPU.
func DefaultLimits() Limits {
	return Limits{
		MaxFileBytes: 4 << 20,
		MaxDocuments: 1000,
		MaxDepth:     64,
		MaxNodes:     50000,
	}
}

// withDefaults replaces unset (zero or negative) limits by the defaults, so
// that Limits{} is safe rather than "no limits".
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = d.MaxFileBytes
	}
	if l.MaxDocuments <= 0 {
		l.MaxDocuments = d.MaxDocuments
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	if l.MaxNodes <= 0 {
		l.MaxNodes = d.MaxNodes
	}
	return l
}

// The multipliers behind the derived caps described on Limits.
const (
	structuralCharsPerNode = 10
	fileNodesPerDocNodes   = 4
	fileTextPerFileByte    = 2
)

// RawDocument is one YAML document of a descriptor file, decoded into a
// JSON-compatible tree: map[string]any, []any, string, bool, int64, float64
// and nil. It is what Validate checks.
type RawDocument struct {
	// File is the name given to Parse, used in error messages.
	File string
	// Index is the 0-based position of the document in the file, counting
	// the empty documents that Parse skips.
	Index int
	// Line is the line where the document starts.
	Line int
	// Object is the document's root mapping.
	Object map[string]any
	// Lines maps field paths ("metadata.name", "spec.owner",
	// "metadata.links[0].url") to the line they are written on, so that
	// validation errors can point at the line. For a mapping entry it is the
	// line of the key. Paths longer than 512 bytes are cut and end in
	// "[...]" (see maxFieldPathLen).
	Lines map[string]int
}

// Parse splits a descriptor file into its YAML documents and decodes each.
//
// It returns either all non-empty documents or, when anything is wrong with
// the file, no document and an Errors listing the problems. All or nothing
// is deliberate: a file that is partly broken or over a limit must not be
// half applied.
//
// Scalars are read by the YAML 1.2 core schema, as yaml.v3 reads them:
// `on` and `yes` stay strings, `123` is an int64, `1.5` a float64, and
// timestamps stay strings. Unlike a plain yaml.Unmarshal, Parse refuses
// duplicate mapping keys, keys that are not strings, and numbers JSON cannot
// represent (.nan, .inf). `<<` is an ordinary key, as in YAML 1.2 and in
// Backstage's parser, not a merge.
func Parse(file string, data []byte, lim Limits) ([]RawDocument, error) {
	lim = lim.withDefaults()
	p := &docParser{
		file:          file,
		lim:           lim,
		fileNodesLeft: fileNodesPerDocNodes * lim.MaxNodes,
		fileTextLeft:  fileTextPerFileByte * lim.MaxFileBytes,
	}
	docs := p.parse(data)
	if err := p.probs.err(); err != nil {
		return nil, err
	}
	return docs, nil
}

// docParser holds the state of one Parse call.
type docParser struct {
	file  string
	lim   Limits
	probs problemList

	// Budgets shared by all documents of the file; see Limits.
	fileNodesLeft int
	fileTextLeft  int64
}

// fileError records a problem that concerns the whole file.
func (p *docParser) fileError(format string, args ...any) {
	p.probs.add(&FieldError{File: p.file, Document: -1, Reason: fmt.Sprintf(format, args...)})
}

func (p *docParser) parse(data []byte) []RawDocument {
	if int64(len(data)) > p.lim.MaxFileBytes {
		p.fileError("file is too large: more than %d bytes", p.lim.MaxFileBytes)
		return nil
	}
	if !p.prescan(data) {
		return nil
	}

	var docs []RawDocument
	dec := yaml.NewDecoder(bytes.NewReader(data))
	empty := 0
	for index := 0; ; index++ {
		var root yaml.Node
		err := decodeNextDocument(dec, &root)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// yaml.v3 cannot resume after a syntax error, so this is the
			// last problem this file can report.
			p.syntaxError(index, err)
			break
		}
		content := documentContent(&root)
		if content == nil {
			// An empty document, typically from a trailing `---`. Backstage
			// skips these too. Their number is capped all the same, because
			// a million of them still take seconds to read.
			empty++
			if empty > p.lim.MaxDocuments {
				p.fileError("file contains more than %d empty documents", p.lim.MaxDocuments)
				return nil
			}
			continue
		}
		if len(docs) >= p.lim.MaxDocuments {
			p.fileError("file contains more than %d documents; split it into several files", p.lim.MaxDocuments)
			return nil
		}
		doc, more := p.convertDocument(index, &root, content)
		if !more {
			// A limit of the whole file was exceeded: stop reading.
			return nil
		}
		if doc.Object != nil {
			docs = append(docs, doc)
		}
	}
	return docs
}

// decodeNextDocument reads the next document. yaml.v3 is well fuzzed, but
// here it runs on untrusted input inside a server: should it ever panic, the
// file is refused instead of the process going down.
func decodeNextDocument(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: the YAML parser failed on this input: %v", r)
		}
	}()
	return dec.Decode(n)
}

// documentContent returns the root node of a document, or nil when the
// document is empty or holds only null (`---` followed by nothing, or `~`).
func documentContent(root *yaml.Node) *yaml.Node {
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return nil
	}
	content := root.Content[0]
	if content.Kind == yaml.ScalarNode && content.ShortTag() == yamlNullTag {
		return nil
	}
	return content
}

// yamlLineErrorRE matches yaml.v3 messages such as
// "yaml: line 7: mapping values are not allowed in this context".
var yamlLineErrorRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (p *docParser) syntaxError(index int, err error) {
	fe := &FieldError{File: p.file, Document: index, Reason: "invalid YAML: " + err.Error()}
	if m := yamlLineErrorRE.FindStringSubmatch(err.Error()); m != nil {
		fe.Line, _ = strconv.Atoi(m[1])
		fe.Reason = "invalid YAML: " + m[2]
	} else if msg, ok := strings.CutPrefix(err.Error(), "yaml: "); ok {
		fe.Reason = "invalid YAML: " + msg
	}
	p.probs.add(fe)
}

// prescan refuses documents that would make yaml.v3 build a huge node tree,
// before yaml.v3 runs. Every node yaml.v3 creates, except a document's root,
// is introduced by one of the characters , [ { - : ? (an entry separator, a
// collection start, a sequence item, a mapping value or an explicit key), and
// one such character introduces at most three nodes. Counting them per
// document therefore bounds the tree. The count also includes such
// characters inside strings and comments, so the cap is set well above
// MaxNodes.
func (p *docParser) prescan(data []byte) bool {
	budget := structuralCharsPerNode * p.lim.MaxNodes
	s := prescanState{atLineStart: true, lineBlank: true}
	for i := 0; i < len(data); i++ {
		b := data[i]
		if s.atLineStart && isDocumentMarker(data[i:]) {
			// The marker's own characters introduce no node.
			s.marker(data[i])
			i += 2
			continue
		}
		s.byte(b)
		switch b {
		case ',', '[', '{', '-', ':', '?':
			s.count++
			if s.count > budget {
				p.probs.add(&FieldError{File: p.file, Document: s.index(), Reason: fmt.Sprintf(
					"document is too large or too deeply nested to parse safely: more than %d structural characters (, [ { - : ?); "+
						"a large API definition can move to its own file, referenced with $text",
					budget)})
				return false
			}
		}
	}
	return true
}

// prescanState follows document boundaries the way yaml.v3 numbers
// documents, so that a prescan error names the right document: every `---`
// starts a document, and so does content outside any document.
type prescanState struct {
	docs        int  // documents started so far
	open        bool // whether a document is open
	count       int  // structural characters in the open document
	atLineStart bool
	inComment   bool
	lineBlank   bool // only white space so far on this line
}

func (s *prescanState) index() int { return max(s.docs-1, 0) }

func (s *prescanState) marker(first byte) {
	s.atLineStart = false
	s.lineBlank = false
	s.count = 0
	if first == '-' {
		s.docs++
		s.open = true
	} else {
		s.open = false // "..." ends the document
	}
}

func (s *prescanState) byte(b byte) {
	switch {
	case b == '\n' || b == '\r':
		s.atLineStart, s.inComment, s.lineBlank = true, false, true
		return
	case b == ' ' || b == '\t':
		s.atLineStart = false
		return
	case b == '#' && s.lineBlank:
		s.inComment = true
	}
	s.atLineStart, s.lineBlank = false, false
	if !s.inComment && !s.open {
		s.docs++
		s.open = true
		s.count = 0
	}
}

// isDocumentMarker reports whether b starts with a YAML document marker
// ("---" or "...") that stands alone or is followed by white space.
func isDocumentMarker(b []byte) bool {
	if len(b) < 3 || !(bytes.HasPrefix(b, []byte("---")) || bytes.HasPrefix(b, []byte("..."))) {
		return false
	}
	return len(b) == 3 || b[3] == ' ' || b[3] == '\t' || b[3] == '\n' || b[3] == '\r'
}

// YAML tags as reported by yaml.Node.ShortTag.
const (
	yamlNullTag  = "!!null"
	yamlBoolTag  = "!!bool"
	yamlIntTag   = "!!int"
	yamlFloatTag = "!!float"
	yamlStrTag   = "!!str"
	yamlMergeTag = "!!merge"
)

// nodeConverter turns one document's yaml.Node tree into a JSON-compatible
// tree.
type nodeConverter struct {
	p     *docParser
	index int

	nodes    int  // nodes produced so far in this document, aliases expanded
	aliased  bool // whether an alias has been expanded, for a clearer message
	lines    map[string]int
	visiting map[*yaml.Node]bool // alias targets being expanded, to catch cycles
}

// parseLimitError aborts the conversion of a document when a limit is
// exceeded: converting further would only spend the resources the limit
// protects.
type parseLimitError struct {
	line      int
	field     string
	reason    string
	wholeFile bool
}

func (e *parseLimitError) Error() string { return e.reason }

// convertDocument converts one document. The document's Object is nil when
// it could not be converted; more is false when a limit of the whole file
// was exceeded and parsing must stop.
func (p *docParser) convertDocument(index int, root, content *yaml.Node) (doc RawDocument, more bool) {
	c := &nodeConverter{p: p, index: index, lines: map[string]int{}, visiting: map[*yaml.Node]bool{}}
	doc = RawDocument{File: p.file, Index: index, Line: root.Line, Lines: c.lines}
	if doc.Line == 0 {
		doc.Line = content.Line
	}

	if content.Kind != yaml.MappingNode {
		p.probs.add(&FieldError{File: p.file, Document: index, Line: content.Line,
			Reason: fmt.Sprintf("a document must be a mapping with apiVersion, kind, metadata and spec, not %s", describeYAMLNode(content))})
		return doc, true
	}

	v, err := c.convert(content, "", 0)
	var le *parseLimitError
	if errors.As(err, &le) {
		fe := &FieldError{File: p.file, Document: index, Line: le.line, Field: le.field, Reason: le.reason}
		if le.wholeFile {
			fe.Document, fe.Line, fe.Field = -1, 0, ""
		}
		p.probs.add(fe)
		return doc, !le.wholeFile
	}
	doc.Object, _ = v.(map[string]any)
	return doc, true
}

// problem records a problem that does not stop the conversion.
func (c *nodeConverter) problem(line int, field, format string, args ...any) {
	if c.p.probs.full() {
		c.p.probs.dropped++
		return
	}
	c.p.probs.add(&FieldError{File: c.p.file, Document: c.index, Line: line, Field: field, Reason: fmt.Sprintf(format, args...)})
}

// count charges one node against the document's and the file's budgets.
func (c *nodeConverter) count(n *yaml.Node, path string) error {
	c.nodes++
	c.p.fileNodesLeft--
	if c.nodes > c.p.lim.MaxNodes {
		reason := fmt.Sprintf("document has more than %d YAML nodes", c.p.lim.MaxNodes)
		if c.aliased {
			reason = fmt.Sprintf("document contains excessive aliasing: more than %d YAML nodes after expanding aliases", c.p.lim.MaxNodes)
		}
		return &parseLimitError{line: n.Line, field: path, reason: reason}
	}
	if c.p.fileNodesLeft < 0 {
		return &parseLimitError{wholeFile: true, reason: fmt.Sprintf(
			"file has more than %d YAML nodes in total (aliases expanded)", fileNodesPerDocNodes*c.p.lim.MaxNodes)}
	}
	return nil
}

// chargeText charges the bytes of a scalar or key against the file's text
// budget, which only aliases can exhaust.
func (c *nodeConverter) chargeText(n *yaml.Node, path string, size int) error {
	c.p.fileTextLeft -= int64(size)
	if c.p.fileTextLeft < 0 {
		return &parseLimitError{line: n.Line, field: path, reason: fmt.Sprintf(
			"document contains excessive aliasing: more than %d bytes of text after expanding aliases",
			fileTextPerFileByte*c.p.lim.MaxFileBytes)}
	}
	return nil
}

// convert converts node n found at path. depth is the number of mappings
// and sequences n is nested in.
func (c *nodeConverter) convert(n *yaml.Node, path string, depth int) (any, error) {
	switch n.Kind {
	case yaml.AliasNode:
		return c.convertAlias(n, path, depth)
	case yaml.ScalarNode:
		if err := c.count(n, path); err != nil {
			return nil, err
		}
		if err := c.chargeText(n, path, len(n.Value)); err != nil {
			return nil, err
		}
		return c.scalar(n, path), nil
	case yaml.MappingNode:
		if err := c.enter(n, path, depth); err != nil {
			return nil, err
		}
		return c.mapping(n, path, depth+1)
	case yaml.SequenceNode:
		if err := c.enter(n, path, depth); err != nil {
			return nil, err
		}
		return c.sequence(n, path, depth+1)
	default:
		// A document node inside a document cannot come out of the parser;
		// treat it as a broken document rather than trusting that.
		c.problem(n.Line, path, "unexpected YAML node")
		return nil, nil
	}
}

// enter charges a mapping or sequence node and checks the nesting depth.
func (c *nodeConverter) enter(n *yaml.Node, path string, depth int) error {
	if err := c.count(n, path); err != nil {
		return err
	}
	if depth+1 > c.p.lim.MaxDepth {
		return &parseLimitError{line: n.Line, field: path, reason: fmt.Sprintf("nesting is deeper than %d levels", c.p.lim.MaxDepth)}
	}
	return nil
}

// convertAlias expands an alias in place. The expanded nodes count against
// the budgets like written ones: that is what defeats alias bombs.
func (c *nodeConverter) convertAlias(n *yaml.Node, path string, depth int) (any, error) {
	target := n.Alias
	if target == nil {
		c.problem(n.Line, path, "alias %s refers to no anchor", quoteValue("*"+n.Value))
		return nil, nil
	}
	if c.visiting[target] {
		return nil, &parseLimitError{line: n.Line, field: path, reason: fmt.Sprintf("alias %s refers to a node that contains it", quoteValue("*"+n.Value))}
	}
	c.aliased = true
	c.visiting[target] = true
	defer delete(c.visiting, target)
	return c.convert(target, path, depth)
}

func (c *nodeConverter) mapping(n *yaml.Node, path string, depth int) (any, error) {
	out := make(map[string]any, len(n.Content)/2)
	firstLine := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		keyNode, valueNode := n.Content[i], n.Content[i+1]
		if err := c.count(keyNode, path); err != nil {
			return nil, err
		}
		key, ok := yamlMappingKey(keyNode)
		if !ok {
			c.problem(keyNode.Line, path, "mapping key %s is not a string; quote it if it is meant as one", describeYAMLKey(keyNode))
			continue
		}
		if err := c.chargeText(keyNode, path, len(key)); err != nil {
			return nil, err
		}
		child := fieldPath(path, key)
		if first, dup := firstLine[key]; dup {
			c.problem(keyNode.Line, child, "duplicate key %s (first defined on line %d)", quoteValue(key), first)
			continue
		}
		firstLine[key] = keyNode.Line
		c.lines[child] = keyNode.Line
		v, err := c.convert(valueNode, child, depth)
		if err != nil {
			return nil, err
		}
		out[key] = v
	}
	return out, nil
}

func (c *nodeConverter) sequence(n *yaml.Node, path string, depth int) (any, error) {
	out := make([]any, 0, len(n.Content))
	for i, item := range n.Content {
		child := indexPath(path, i)
		c.lines[child] = item.Line
		v, err := c.convert(item, child, depth)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// yamlMappingKey returns the key as a string when it is one. Keys must be
// strings because the result is JSON, and because `123: x` or `yes: x` is
// more likely a mistake than intent. `<<` is taken literally.
func yamlMappingKey(k *yaml.Node) (string, bool) {
	if k.Kind != yaml.ScalarNode {
		return "", false
	}
	switch k.ShortTag() {
	case yamlStrTag, yamlMergeTag:
		return k.Value, true
	}
	return "", false
}

// scalar converts a scalar by its resolved YAML tag. Strings, timestamps,
// binary and custom tags all become the written string: JSON has no other
// type for them and Backstage's parser treats them the same way.
func (c *nodeConverter) scalar(n *yaml.Node, path string) any {
	switch n.ShortTag() {
	case yamlNullTag:
		return nil
	case yamlBoolTag:
		var b bool
		if err := n.Decode(&b); err != nil {
			c.problem(n.Line, path, "%s is not a boolean", quoteValue(n.Value))
			return nil
		}
		return b
	case yamlIntTag:
		var v any
		if err := n.Decode(&v); err != nil {
			c.problem(n.Line, path, "%s is not an integer", quoteValue(n.Value))
			return nil
		}
		return c.number(n, path, v)
	case yamlFloatTag:
		var f float64
		if err := n.Decode(&f); err != nil {
			c.problem(n.Line, path, "%s is not a number", quoteValue(n.Value))
			return nil
		}
		return c.number(n, path, f)
	default:
		return n.Value
	}
}

// number normalizes what yaml.v3 decodes a number to (int, uint64 or
// float64) to int64 or a finite float64.
func (c *nodeConverter) number(n *yaml.Node, path string, v any) any {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int64:
		return x
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x)
		}
		return float64(x)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			c.problem(n.Line, path, "%s is not a finite number, which JSON cannot represent", quoteValue(n.Value))
			return nil
		}
		return x
	default:
		c.problem(n.Line, path, "%s is not a number", quoteValue(n.Value))
		return nil
	}
}

// maxFieldPathLen bounds the field paths of RawDocument.Lines and of error
// messages. A path repeats every key above it, so without a cap one 100 KB
// key above 10,000 list items would cost a gigabyte of paths. Longer paths
// are cut and end in truncatedPathMark; the fields under a cut path share
// it, and errors there point at its line.
const (
	maxFieldPathLen   = 512
	truncatedPathMark = "[...]"
)

// fieldPath appends a mapping key to a field path, the way the paths of
// RawDocument.Lines are built: "" and "spec" give "spec", "spec" and "owner"
// give "spec.owner".
func fieldPath(path, key string) string { return childFieldPath(path, ".", key) }

// indexPath appends a list index to a field path: "spec.steps[2]".
func indexPath(path string, i int) string { return childFieldPath(path, "[", strconv.Itoa(i)+"]") }

// childFieldPath appends a mapping key (sep ".") or a list index (sep "[",
// name "3]") to a field path, cutting it at maxFieldPathLen.
func childFieldPath(parent, sep, name string) string {
	if strings.HasSuffix(parent, truncatedPathMark) {
		return parent
	}
	if parent == "" && sep == "." {
		sep = ""
	}
	if len(parent)+len(sep)+len(name) <= maxFieldPathLen {
		return parent + sep + name
	}
	return truncateFieldPath(parent + sep + name)
}

// truncateFieldPath cuts a path longer than maxFieldPathLen, at a character
// boundary, and marks it as cut.
func truncateFieldPath(path string) string {
	if len(path) <= maxFieldPathLen {
		return path
	}
	cut := maxFieldPathLen
	for cut > 0 && !utf8.RuneStart(path[cut]) {
		cut--
	}
	return path[:cut] + truncatedPathMark
}

// describeYAMLNode names the kind of a node for error messages.
func describeYAMLNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.ScalarNode:
		return "a single value (" + quoteValue(n.Value) + ")"
	default:
		return "an alias"
	}
}

// describeYAMLKey shows a rejected mapping key.
func describeYAMLKey(k *yaml.Node) string {
	switch k.Kind {
	case yaml.ScalarNode:
		return quoteValue(k.Value)
	case yaml.AliasNode:
		return "*" + k.Value + " (an alias)"
	default:
		return describeYAMLNode(k)
	}
}

// quoteValue quotes a user-supplied value for an error message: shortened so
// that a hostile value cannot bloat the message, and escaped to ASCII so that
// control characters cannot forge extra lines and a look-alike letter shows
// for what it is ("p\u0430yments", not "pаyments").
func quoteValue(s string) string {
	const limit = 80
	if len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut-- // do not cut a character in half
		}
		return strconv.QuoteToASCII(s[:cut]) + "..."
	}
	return strconv.QuoteToASCII(s)
}
