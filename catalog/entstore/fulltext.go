package entstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pont-dev/pont/catalog"
)

// The full-text index is the table entity_text (migration 00003): on
// SQLite an FTS5 table whose rowid is the entity's seq, on PostgreSQL a
// tsvector per entity_seq under a GIN index, built by the SQL function
// pont_text_vector. It is derived data like the search table: written in
// the mutation's transaction next to the search rows (flush), cleared with
// them (clearDerived), and never touched for an unchanged entity.
// docs/search.md describes the semantics and the measured costs.

// Limits of a text query. Past them the query is refused with a
// *catalog.FieldError (a 400 for the API), never sent to the database.
const (
	maxTextBytes = 1000 // of TextQuery.Text
	maxTextTerms = 16   // words after splitting on punctuation
	maxTermRunes = 64   // a longer word is cut: as a prefix it still matches
	// maxTextTotal caps the exact count of hits: past it Total is
	// maxTextTotal and TotalCapped is set ("10000+").
	maxTextTotal = 10000
	// rankWindow is how many hits a search ranks; past it they come in
	// catalog order (see SearchText).
	rankWindow = 1000
	// defaultTextLimit and maxTextLimit bound a page.
	defaultTextLimit = 20
	maxTextLimit     = 500
)

// sqliteTextWeights are the bm25 weights of the FTS5 columns name, title,
// description, tags and extra (kind, spec.type, spec.owner).
const sqliteTextWeights = "10.0, 5.0, 1.0, 3.0, 0.5"

// entityText is what the index holds of one entity.
type entityText struct {
	seq                                  int64
	kind, name, title, description, tags string
	extra                                string // kind, spec.type, spec.owner
}

// textOf gathers the indexed fields of a prepared entity from its search
// rows (lower-cased, which the index folds anyway), and from its body when
// one of them is missing there (a value longer than a search row holds).
func textOf(p *catalog.Prepared, seq int64) entityText {
	t := entityText{seq: seq, kind: strings.ToLower(p.Ref.Kind), name: p.Ref.Name}
	var typ, owner string
	var tags []string
	fromBody := false
	for _, r := range p.Search {
		switch r.Key {
		case "metadata.title", "metadata.description", "metadata.tags", "spec.type", "spec.owner":
		default:
			continue
		}
		if r.Value == nil {
			fromBody = true
			break
		}
		switch r.Key {
		case "metadata.title":
			t.title = *r.Value
		case "metadata.description":
			t.description = *r.Value
		case "metadata.tags":
			tags = append(tags, *r.Value)
		case "spec.type":
			typ = *r.Value
		case "spec.owner":
			owner = *r.Value
		}
	}
	if fromBody {
		var b struct {
			Metadata struct {
				Title       any   `json:"title"`
				Description any   `json:"description"`
				Tags        []any `json:"tags"`
			} `json:"metadata"`
			Spec struct {
				Type  any `json:"type"`
				Owner any `json:"owner"`
			} `json:"spec"`
		}
		if err := json.Unmarshal(p.Body, &b); err == nil {
			t.title, t.description = textValue(b.Metadata.Title), textValue(b.Metadata.Description)
			tags = tags[:0]
			for _, x := range b.Metadata.Tags {
				tags = append(tags, textValue(x))
			}
			typ, owner = textValue(b.Spec.Type), textValue(b.Spec.Owner)
		}
	}
	t.tags = strings.Join(tags, " ")
	t.extra = t.kind + " " + typ + " " + owner
	// PostgreSQL text holds neither NUL nor invalid UTF-8.
	for _, s := range []*string{&t.name, &t.title, &t.description, &t.tags, &t.extra} {
		*s = cleanText(*s)
	}
	return t
}

func textValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

func cleanText(s string) string {
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", " ")
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, " ")
	}
	return s
}

// insertText indexes written entities (their old rows, for updated ones,
// went with clearDerived).
func (a *applier) insertText(ctx context.Context, ps []*catalog.Prepared, ids map[*catalog.Prepared]stored) error {
	if len(ps) == 0 {
		return nil
	}
	if a.s.pg {
		// One statement per batch: arrays in, pont_text_vector applied in
		// the database so writes and the migration's backfill index alike.
		n := len(ps)
		seqs, kinds := make([]int64, n), make([]string, n)
		names, titles, descs, tags, extras := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		for i, p := range ps {
			t := textOf(p, ids[p].seq)
			seqs[i], kinds[i], names[i], titles[i], descs[i], tags[i], extras[i] = t.seq, t.kind, t.name, t.title, t.description, t.tags, t.extra
		}
		_, err := a.tx.ExecContext(ctx, `INSERT INTO entity_text (entity_seq, kind, doc)
SELECT s, k, pont_text_vector(n, t, d, g, x) FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS u(s, k, n, t, d, g, x)`,
			seqs, kinds, names, titles, descs, tags, extras)
		if err != nil {
			return fmt.Errorf("index entity text: %w", err)
		}
		return nil
	}
	w := &rowWriter{a: a, prefix: "INSERT INTO entity_text (rowid, name, title, description, tags, extra) VALUES ", tuple: "(?,?,?,?,?,?)", perRow: 6, maxRows: 500}
	for _, p := range ps {
		t := textOf(p, ids[p].seq)
		if err := w.add(ctx, t.seq, t.name, t.title, t.description, t.tags, t.extra); err != nil {
			return fmt.Errorf("index entity text: %w", err)
		}
	}
	if err := w.flush(ctx); err != nil {
		return fmt.Errorf("index entity text: %w", err)
	}
	return nil
}

// textTerms splits a query into lower-cased words the way the index splits
// text: on everything that is not a letter or a digit. Because a term then
// holds nothing but letters and digits, quoting it is enough to keep it a
// plain word in FTS5 and tsquery syntax alike.
func textTerms(text string) ([]string, error) {
	if len(text) > maxTextBytes {
		return nil, &catalog.FieldError{Document: -1, Field: "text", Reason: fmt.Sprintf("is longer than %d bytes", maxTextBytes)}
	}
	words := strings.FieldsFunc(strings.ToLower(strings.ToValidUTF8(text, " ")), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r)
	})
	seen := map[string]bool{}
	var out []string
	for _, w := range words {
		if utf8.RuneCountInString(w) > maxTermRunes {
			w = string([]rune(w)[:maxTermRunes])
		}
		if seen[w] {
			continue
		}
		seen[w] = true
		out = append(out, w)
	}
	if len(out) > maxTextTerms {
		return nil, &catalog.FieldError{Document: -1, Field: "text", Reason: fmt.Sprintf("has more than %d words", maxTextTerms)}
	}
	return out, nil
}

// textCursor is the position after a hit: its score and its seq (unique,
// so ties in score still order totally).
type textCursor struct {
	score float64
	seq   int64
}

func (c textCursor) encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte("t1:" + strconv.FormatFloat(c.score, 'g', -1, 64) + ":" + strconv.FormatInt(c.seq, 10)))
}

var errBadCursor = &catalog.FieldError{Document: -1, Field: "after", Reason: "is not a cursor of this search"}

func decodeTextCursor(s string) (textCursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return textCursor{}, errBadCursor
	}
	rest, ok := strings.CutPrefix(string(raw), "t1:")
	if !ok {
		return textCursor{}, errBadCursor
	}
	score, seq, ok := strings.Cut(rest, ":")
	if !ok {
		return textCursor{}, errBadCursor
	}
	var c textCursor
	if c.score, err = strconv.ParseFloat(score, 64); err != nil || c.score != c.score { // NaN
		return textCursor{}, errBadCursor
	}
	if c.seq, err = strconv.ParseInt(seq, 10, 64); err != nil {
		return textCursor{}, errBadCursor
	}
	return c, nil
}

// textSQL is the SQL of one search. On SQLite, hits is a subquery of
// (seq, score) over the hits the kinds allow, better scores first under
// order, and unranked the same hits without a score. On PostgreSQL, with
// is a WITH list whose CTE hm holds the hits as (entity_seq, doc) (see
// pgTextHits).
type textSQL struct {
	hits     string
	unranked string // hits without a score: seq only, same args
	with     string // PostgreSQL: CTEs ending with hm, the hits
	args     []any
	match    string
	kinds    []any // PostgreSQL: the lower-cased kinds, nil for all
	// PostgreSQL: the filters' condition on t.entity_seq, and its args.
	filter     string
	filterArgs []any
}

// pgDriveRows bounds the fast path of a query of several words on
// PostgreSQL: when its rarest-looking word matches at most this many
// entities, those are checked against the whole query one by one.
const pgDriveRows = 200

func (s *Store) textHits(terms []string, kinds []string, filters map[string][]string) textSQL {
	var ts textSQL
	kindArgs := make([]any, len(kinds))
	for i, k := range kinds {
		kindArgs[i] = strings.ToLower(k)
	}
	if s.pg {
		return pgTextHits(terms, kinds, kindArgs, filters)
	}
	quoted := make([]string, len(terms))
	for i, t := range terms {
		quoted[i] = `"` + t + `"*`
	}
	ts.match = strings.Join(quoted, " AND ")
	filterCond, filterArgs := textFilters("t.rowid", filters)
	if kinds == nil {
		ts.hits = "SELECT t.rowid AS seq, bm25(entity_text, " + sqliteTextWeights + ") AS score FROM entity_text t WHERE entity_text MATCH ?" + filterCond
		ts.unranked = "SELECT t.rowid AS seq FROM entity_text t WHERE entity_text MATCH ?" + filterCond
		ts.args = append([]any{ts.match}, filterArgs...)
		return ts
	}
	ts.hits = "SELECT t.rowid AS seq, bm25(entity_text, " + sqliteTextWeights + ") AS score FROM entity_text t JOIN entities ke ON ke.seq = t.rowid WHERE entity_text MATCH ? AND ke.kind IN (" + placeholders(len(kinds)) + ")" + filterCond
	ts.unranked = "SELECT t.rowid AS seq FROM entity_text t JOIN entities ke ON ke.seq = t.rowid WHERE entity_text MATCH ? AND ke.kind IN (" + placeholders(len(kinds)) + ")" + filterCond
	ts.args = append(append([]any{ts.match}, kindArgs...), filterArgs...)
	return ts
}

// textFilters is the condition that keeps the hits whose entity (seq) has,
// for each filtered field, one of its values in the search table (where
// values are lower-cased), in a fixed order of fields.
func textFilters(seq string, filters map[string][]string) (string, []any) {
	keys := make([]string, 0, len(filters))
	for k := range filters {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var cond strings.Builder
	var args []any
	for _, k := range keys {
		values := filters[k]
		cond.WriteString(" AND EXISTS (SELECT 1 FROM search sf WHERE sf.key = ? AND sf.value IN (" + placeholders(len(values)) + ") AND sf.entity_seq = " + seq + ")")
		args = append(args, strings.ToLower(k))
		for _, v := range values {
			args = append(args, strings.ToLower(v))
		}
	}
	return cond.String(), args
}

// pgTextHits builds the CTE hm of the hits on PostgreSQL.
//
// The GIN index answers a tsquery by collecting the entities of every
// word, so a broad prefix costs as much as all its entities even when
// ANDed with a rare word: "svc-012345" is svc:* (29,000 entities) AND
// 012345:*. With several words the CTE d therefore first looks up the
// word most likely to be rare alone (drivingTerm), at most pgDriveRows+1
// entities of it. When it has no more than pgDriveRows, the hits are
// those of d that match the whole query (ts_match_vq is @@ without the
// index), and the index never reads the broad word; otherwise the whole
// query goes to the index as before. Either way the hits are exact: the
// choice of word only changes the cost, by at most pgDriveRows rows.
func pgTextHits(terms []string, kinds []string, kindArgs []any, filters map[string][]string) textSQL {
	var ts textSQL
	quoted := make([]string, len(terms))
	for i, t := range terms {
		quoted[i] = "'" + t + "':*"
	}
	ts.match = strings.Join(quoted, " & ")
	if kinds != nil {
		ts.kinds = kindArgs
	}
	// kindCond narrows the hits by kind and by the filters alike, and
	// kindArgs carries the arguments of both.
	kindCond := ""
	if kinds != nil {
		kindCond = " AND t.kind IN (" + placeholders(len(kinds)) + ")"
	}
	filterCond, filterArgs := textFilters("t.entity_seq", filters)
	ts.filter, ts.filterArgs = filterCond, filterArgs
	kindCond += filterCond
	kindArgs = append(append([]any{}, kindArgs...), filterArgs...)
	if len(terms) == 1 {
		ts.with = "hm AS NOT MATERIALIZED (SELECT t.entity_seq, t.doc FROM entity_text t WHERE t.doc @@ to_tsquery('simple', ?)" + kindCond + ")"
		ts.args = append([]any{ts.match}, kindArgs...)
		return ts
	}
	drive := "'" + drivingTerm(terms) + "':*"
	n := strconv.Itoa(pgDriveRows)
	ts.with = "d AS MATERIALIZED (SELECT t.entity_seq, t.doc FROM entity_text t WHERE t.doc @@ to_tsquery('simple', ?)" + kindCond + " LIMIT " + strconv.Itoa(pgDriveRows+1) + "), " +
		"hm AS NOT MATERIALIZED (SELECT d.entity_seq, d.doc FROM d WHERE (SELECT count(*) FROM d) <= " + n + " AND ts_match_vq(d.doc, to_tsquery('simple', ?))" +
		" UNION ALL SELECT t.entity_seq, t.doc FROM entity_text t WHERE (SELECT count(*) FROM d) > " + n + " AND t.doc @@ to_tsquery('simple', ?)" + kindCond + ")"
	ts.args = append([]any{drive}, kindArgs...)
	ts.args = append(ts.args, ts.match, ts.match)
	ts.args = append(ts.args, kindArgs...)
	return ts
}

// drivingTerm guesses the rarest word of a query: the one with the most
// digits (identifiers, numbers), then the longest. A wrong guess costs at
// most pgDriveRows rows (see pgTextHits).
func drivingTerm(terms []string) string {
	best, bestDigits, bestLen := "", -1, -1
	for _, t := range terms {
		digits := 0
		for _, r := range t {
			if unicode.IsDigit(r) {
				digits++
			}
		}
		if n := utf8.RuneCountInString(t); digits > bestDigits || (digits == bestDigits && n > bestLen) {
			best, bestDigits, bestLen = t, digits, n
		}
	}
	return best
}

// SearchText is the full-text search: every word of the query must match
// the start of a word of the entity's name, title, description, tags, kind,
// spec.type or spec.owner, best matches first (bm25 on SQLite, ts_rank on
// PostgreSQL), ties by entity seq. A query without a word (empty, or only
// punctuation) returns an empty page, not an error. See docs/search.md.
func (s *Store) SearchText(ctx context.Context, q catalog.TextQuery) (*catalog.TextPage, error) {
	terms, err := textTerms(q.Text)
	if err != nil {
		return nil, err
	}
	for _, f := range q.Facets {
		if strings.HasPrefix(strings.ToLower(f), "relations.") {
			return nil, &catalog.FieldError{Document: -1, Field: "facets", Reason: fmt.Sprintf("%s: relation facets are not offered by text search", f)}
		}
	}
	var after *textCursor
	if q.After != "" {
		c, err := decodeTextCursor(q.After)
		if err != nil {
			return nil, err
		}
		after = &c
	}
	limit := q.Limit
	if limit <= 0 {
		limit = defaultTextLimit
	}
	limit = min(limit, maxTextLimit)
	page := &catalog.TextPage{Entities: []*catalog.StoredEntity{}, Facets: map[string][]catalog.FacetCount{}}
	for _, f := range q.Facets {
		page.Facets[f] = []catalog.FacetCount{}
	}
	if len(terms) == 0 || (q.Kinds != nil && len(q.Kinds) == 0) {
		return page, nil
	}
	ts := s.textHits(terms, q.Kinds, q.Filters)
	if s.pg {
		err = s.pgTextPage(ctx, ts, after, limit, page)
	} else {
		err = s.sqliteTextPage(ctx, ts, after, limit, page)
	}
	if err != nil {
		return nil, err
	}
	if page.Total == 0 {
		return page, nil
	}
	if err := s.textFacets(ctx, ts, q.Facets, page); err != nil {
		return nil, err
	}
	return page, nil
}

// pgTextPage reads the capped total and the page in one statement: n
// counts the hits up to the cap, and h takes the page from the ranked
// hits when there are at most rankWindow of them, in seq order otherwise
// (each branch is cut off by a one-time filter on n, so only one runs).
func (s *Store) pgTextPage(ctx context.Context, ts textSQL, after *textCursor, limit int, page *catalog.TextPage) error {
	args := append([]any{}, ts.args...)
	ranked := "SELECT seq, score FROM (SELECT hm.entity_seq AS seq, ts_rank(hm.doc, to_tsquery('simple', ?)) AS score FROM hm WHERE (SELECT total FROM n) <= " + strconv.Itoa(rankWindow) + ") a"
	args = append(args, ts.match)
	if after != nil {
		ranked += " WHERE (score < ? OR (score = ? AND seq > ?))"
		args = append(args, after.score, after.score, after.seq)
	}
	ranked += " ORDER BY score DESC, seq LIMIT ?"
	args = append(args, limit+1)
	// Past rankWindow, the page walks entity_text in seq order and tests
	// each row (ts_match_vq is @@ that the GIN index cannot answer): with
	// more than rankWindow hits in the catalog, a page of limit+1 hits is
	// found after about limit*50000/rankWindow rows at worst, where the
	// index would have to fetch and sort every hit. Written this way the
	// plan stays the same when PostgreSQL switches the prepared statement
	// to a generic plan, which cannot tell a rare word from a common one.
	unranked := "SELECT t.entity_seq AS seq, 0::real AS score FROM entity_text t WHERE (SELECT total FROM n) > " + strconv.Itoa(rankWindow)
	if after != nil {
		unranked += " AND t.entity_seq > ?"
		args = append(args, after.seq)
	}
	unranked += " AND ts_match_vq(t.doc, to_tsquery('simple', ?))"
	args = append(args, ts.match)
	if ts.kinds != nil {
		unranked += " AND t.kind IN (" + placeholders(len(ts.kinds)) + ")"
		args = append(args, ts.kinds...)
	}
	unranked += ts.filter
	args = append(args, ts.filterArgs...)
	unranked += " ORDER BY t.entity_seq LIMIT ?"
	args = append(args, limit+1)
	query := "WITH " + ts.with +
		", n AS (SELECT count(*) AS total FROM (SELECT FROM hm LIMIT " + strconv.Itoa(maxTextTotal+1) + ") c)" +
		", h AS ((" + ranked + ") UNION ALL (" + unranked + "))" +
		" SELECT (SELECT total FROM n), " + entityColumns + ", h.score, h.seq FROM h JOIN entities e ON e.seq = h.seq ORDER BY h.score DESC, h.seq"
	rows, err := s.query(ctx, s.q(query), args...)
	if err != nil {
		return s.textError(err)
	}
	got, err := s.readTextPage(ctx, rows, limit, page, true)
	if err != nil {
		return err
	}
	if !got && after != nil {
		// A page past the last hit: the statement gave no row to read the
		// total from.
		query := "WITH " + ts.with + " SELECT count(*) FROM (SELECT FROM hm LIMIT " + strconv.Itoa(maxTextTotal+1) + ") c"
		if err := s.queryRow(ctx, s.q(query), ts.args...).Scan(&page.Total); err != nil {
			return s.textError(err)
		}
	}
	if page.Total > maxTextTotal {
		page.Total, page.TotalCapped = maxTextTotal, true
	}
	return nil
}

// sqliteTextPage counts the hits up to the cap, then reads the page.
// SQLite runs in the process: a second statement costs no round trip.
func (s *Store) sqliteTextPage(ctx context.Context, ts textSQL, after *textCursor, limit int, page *catalog.TextPage) error {
	if err := s.queryRow(ctx, "SELECT COUNT(*) FROM ("+ts.unranked+" LIMIT ?) c", append(append([]any{}, ts.args...), maxTextTotal+1)...).Scan(&page.Total); err != nil {
		return s.textError(err)
	}
	if page.Total > maxTextTotal {
		page.Total, page.TotalCapped = maxTextTotal, true
	}
	if page.Total == 0 {
		return nil
	}
	// The page, one more hit than asked to know whether another follows.
	// Order and cut the hits first, then read the page's entities: a
	// join before the LIMIT would read the body of every hit.
	// Past rankWindow hits, scoring every hit costs more than the page is
	// worth: they come in catalog (seq) order, read straight off the
	// index, with score 0 in the cursor.
	ranked := !page.TotalCapped && page.Total <= rankWindow
	inner := "SELECT seq, score FROM (" + ts.hits + ") a"
	args := append([]any{}, ts.args...)
	order := "score, seq"
	if !ranked {
		inner = "SELECT seq, 0.0 AS score FROM (" + ts.unranked + ") a"
		order = "seq"
		if after != nil {
			inner += " WHERE seq > ?"
			args = append(args, after.seq)
		}
	} else if after != nil {
		inner += " WHERE (score > ? OR (score = ? AND seq > ?))"
		args = append(args, after.score, after.score, after.seq)
	}
	inner += " ORDER BY " + order + " LIMIT ?"
	args = append(args, limit+1)
	query := "SELECT 0, " + entityColumns + ", h.score, h.seq FROM (" + inner + ") h JOIN entities e ON e.seq = h.seq ORDER BY h." + strings.ReplaceAll(order, ", ", ", h.")
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return s.textError(err)
	}
	_, err = s.readTextPage(ctx, rows, limit, page, false)
	return err
}

// readTextPage reads the rows of a page query: (total, entity columns,
// score, seq). It reports whether there was a row.
func (s *Store) readTextPage(ctx context.Context, rows *sql.Rows, limit int, page *catalog.TextPage, withTotal bool) (bool, error) {
	var withErrors []*catalog.StoredEntity
	var last textCursor
	got := false
	for rows.Next() {
		var (
			e         catalog.StoredEntity
			hasErrors bool
			at        textCursor
			total     int
		)
		if err := rows.Scan(&total, &e.UID, &e.Key, &e.Etag, &e.Provider, &e.Source, &e.Parent, &e.Body, &e.Orphan, &hasErrors, &e.UpdatedAt, &at.score, &at.seq); err != nil {
			rows.Close()
			return got, err
		}
		if withTotal {
			page.Total = total
		}
		got = true
		if len(page.Entities) == limit {
			page.Next = last.encode()
			break
		}
		page.Entities = append(page.Entities, &e)
		if hasErrors {
			withErrors = append(withErrors, &e)
		}
		last = at
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return got, s.textError(err)
	}
	return got, s.attachErrors(ctx, withErrors)
}

// textFacets counts the values of each facet over the hits that Total
// counts: every hit, or when TotalCapped, the first maxTextTotal in index
// order. Each facet joins those hits with the search table, so the cap
// bounds its cost as it bounds the count's.
func (s *Store) textFacets(ctx context.Context, ts textSQL, facets []string, page *catalog.TextPage) error {
	for _, facet := range facets {
		key := strings.ToLower(facet)
		// (key, value, entity_seq) is the search table's primary key, so
		// each value counts an entity once: COUNT(*) is COUNT(DISTINCT).
		var query string
		var args []any
		if s.pg {
			query = "WITH " + ts.with + " SELECT COALESCE(sr.original_value, sr.value) AS v, COUNT(*) FROM (SELECT hm.entity_seq AS seq FROM hm LIMIT " + strconv.Itoa(maxTextTotal) + ") h JOIN search sr ON sr.key = ? AND sr.entity_seq = h.seq GROUP BY v"
			args = append(append([]any{}, ts.args...), key)
		} else {
			query = "SELECT COALESCE(sr.original_value, sr.value) AS v, COUNT(*) FROM (" + ts.unranked + " LIMIT " + strconv.Itoa(maxTextTotal) + ") h JOIN search sr ON sr.key = ? AND sr.entity_seq = h.seq GROUP BY v"
			args = append(append([]any{}, ts.args...), key)
		}
		rows, err := s.query(ctx, s.q(query), args...)
		if err != nil {
			return fmt.Errorf("facet %s: %w", facet, err)
		}
		counts := []catalog.FacetCount{}
		for rows.Next() {
			var fc catalog.FacetCount
			if err := rows.Scan(&fc.Value, &fc.Count); err != nil {
				rows.Close()
				return err
			}
			counts = append(counts, fc)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("facet %s: %w", facet, err)
		}
		sort.Slice(counts, func(i, j int) bool {
			if counts[i].Count != counts[j].Count {
				return counts[i].Count > counts[j].Count
			}
			return counts[i].Value < counts[j].Value
		})
		page.Facets[facet] = counts
	}
	return nil
}

// textError wraps a database error of a search. Queries are built from
// letters and digits only, so a syntax error here is a bug, not input.
func (s *Store) textError(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("search text: %w", err)
}
