// Package storescan is a test helper that looks for secret values at rest:
// it reads every column of every row of every table of a state store
// (a SQLite file or a PostgreSQL schema) and reports each cell that holds a
// secret in any of the forms Forms lists.
//
// Use it at the end of a test that ran the pipeline with secrets in play:
//
//	storescan.SQLite(t, filepath.Join(repo, ".pipeline", "state.db"), token, apiKey)
//	storescan.Postgres(t, urlWithSearchPath, token)
//
// Both fail t (t.Errorf) once per hit, naming the table, the column, the
// row and the form found, never the secret itself; zero hits pass. Scan is
// the same check on an open *sql.DB, returning the hits.
//
// The forms are computed here, independently of engine/mask, so that a
// mistake in the masker is not repeated by the check.
package storescan

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// Form is one encoding of a secret that must not be stored.
type Form struct {
	Name string // e.g. "plain", "base64 std offset 1", "hex"
	Text string
}

// minCore is the shortest base64 fragment looked for: a shorter one would
// match ordinary text by chance.
const minCore = 6

// Forms returns the forms of secret the scan looks for: the value itself;
// its standard and URL-safe base64 encodings at each of the three byte
// alignments it can take inside a longer encoded string (for offset 1 and
// 2, only the characters that depend on the secret alone, so that
// base64("user:" + secret) is found); lower- and upper-case hex; and its
// URL query and path escapings and its lower- and upper-case forms when
// they differ from the value; and the JSON string escape of each of these
// when it differs.
func Forms(secret string) []Form {
	out := []Form{{"plain", secret}}
	encs := []struct {
		name string
		enc  *base64.Encoding
	}{{"base64 std", base64.RawStdEncoding}, {"base64 url", base64.RawURLEncoding}}
	for _, e := range encs {
		for off := 0; off < 3; off++ {
			if core := base64Core(e.enc, secret, off); len(core) >= minCore {
				out = append(out, Form{fmt.Sprintf("%s offset %d", e.name, off), core})
			}
		}
	}
	h := hex.EncodeToString([]byte(secret))
	out = append(out, Form{"hex", h}, Form{"HEX", strings.ToUpper(h)})
	if q := url.QueryEscape(secret); q != secret {
		out = append(out, Form{"url query", q})
	}
	if p := url.PathEscape(secret); p != secret {
		out = append(out, Form{"url path", p})
	}
	if l := strings.ToLower(secret); l != secret {
		out = append(out, Form{"lower", l})
	}
	if u := strings.ToUpper(secret); u != secret {
		out = append(out, Form{"upper", u})
	}
	// The store keeps JSON documents (a run's plan and options), where each
	// form may be escaped: "<" as \u003c, "&" as \u0026, a quote as \".
	for _, f := range out[:len(out):len(out)] {
		for _, html := range []bool{true, false} {
			var b strings.Builder
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(html)
			if enc.Encode(f.Text) != nil {
				continue
			}
			q := strings.TrimSpace(b.String())
			if q = q[1 : len(q)-1]; q != f.Text && !containsForm(out, q) {
				out = append(out, Form{f.Name + " json", q})
			}
		}
	}
	return out
}

func containsForm(forms []Form, text string) bool {
	for _, f := range forms {
		if f.Text == text {
			return true
		}
	}
	return false
}

// base64Core returns the characters of the encoding of secret preceded by
// off bytes that depend on the secret's bytes only: character p covers
// bits [6p, 6p+6) of the input, the secret bits [8*off, 8*(off+len)).
func base64Core(enc *base64.Encoding, secret string, off int) string {
	full := enc.EncodeToString(append(make([]byte, off), secret...))
	start := (8*off + 5) / 6
	end := 8 * (off + len(secret)) / 6
	if end > len(full) {
		end = len(full)
	}
	if start >= end {
		return ""
	}
	return full[start:end]
}

// Hit is one stored cell that holds a secret.
type Hit struct {
	Table, Column string
	Row           int // 1-based position in the table's scan order
	Secret        int // index of the secret in the list given to Scan
	Form          string
	// Excerpt is up to 60 characters of the cell around the hit, with the
	// found text replaced by "<HIT>".
	Excerpt string
}

func (h Hit) String() string {
	return fmt.Sprintf("table %s, column %s, row %d: secret #%d as %s: %q", h.Table, h.Column, h.Row, h.Secret+1, h.Form, h.Excerpt)
}

// Dialect says how to list the tables of a database.
type Dialect string

// The dialects Scan knows.
const (
	DialectSQLite   Dialect = "sqlite"
	DialectPostgres Dialect = "postgres"
)

// Scan reads every table of db (for PostgreSQL, of its current schema) and
// returns every cell that contains a form of one of secrets, ordered by
// table, row and column. Empty secrets are ignored.
func Scan(ctx context.Context, db *sql.DB, d Dialect, secrets ...string) ([]Hit, error) {
	tables, err := listTables(ctx, db, d)
	if err != nil {
		return nil, err
	}
	var forms [][]Form
	for _, s := range secrets {
		if s == "" {
			forms = append(forms, nil)
			continue
		}
		forms = append(forms, Forms(s))
	}
	var hits []Hit
	for _, table := range tables {
		h, err := scanTable(ctx, db, table, forms)
		if err != nil {
			return nil, err
		}
		hits = append(hits, h...)
	}
	return hits, nil
}

func listTables(ctx context.Context, db *sql.DB, d Dialect) ([]string, error) {
	var q string
	switch d {
	case DialectSQLite:
		q = `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	case DialectPostgres:
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	default:
		return nil, fmt.Errorf("storescan: unknown dialect %q", d)
	}
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("storescan: listing tables: %w", err)
	}
	defer rows.Close()
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		tables = append(tables, n)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(tables) == 0 {
		return nil, fmt.Errorf("storescan: the database has no tables; is it the state store (for PostgreSQL: is search_path set to its schema)?")
	}
	sort.Strings(tables)
	return tables, nil
}

func scanTable(ctx context.Context, db *sql.DB, table string, forms [][]Form) ([]Hit, error) {
	rows, err := db.QueryContext(ctx, `SELECT * FROM "`+strings.ReplaceAll(table, `"`, `""`)+`"`)
	if err != nil {
		return nil, fmt.Errorf("storescan: reading table %s: %w", table, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var hits []Hit
	row := 0
	for rows.Next() {
		row++
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("storescan: reading table %s: %w", table, err)
		}
		for i, v := range vals {
			cell := text(v)
			if cell == "" {
				continue
			}
			for si, fs := range forms {
				for _, f := range fs {
					if j := strings.Index(cell, f.Text); j >= 0 {
						hits = append(hits, Hit{Table: table, Column: cols[i], Row: row, Secret: si, Form: f.Name,
							Excerpt: excerpt(cell, j, len(f.Text))})
						break
					}
				}
			}
		}
	}
	return hits, rows.Err()
}

// text renders a scanned cell as the text a reader of the store would see.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case []byte:
		return string(x)
	case string:
		return x
	default:
		return fmt.Sprint(x)
	}
}

func excerpt(cell string, at, n int) string {
	from, to := max(0, at-25), min(len(cell), at+n+25)
	return cell[from:at] + "<HIT>" + cell[at+n:to]
}

// SQLite opens the SQLite file at path read-only, scans it and fails t
// once per hit. A file that cannot be read fails t.
func SQLite(t testing.TB, path string, secrets ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatalf("storescan: opening %s: %v", path, err)
	}
	defer db.Close()
	report(t, "SQLite "+path, db, DialectSQLite, secrets)
}

// Postgres connects to the PostgreSQL URL dsn (whose search_path names
// the store's schema), scans that schema and fails t once per hit.
func Postgres(t testing.TB, dsn string, secrets ...string) {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("storescan: opening PostgreSQL: %v", err)
	}
	defer db.Close()
	report(t, "PostgreSQL", db, DialectPostgres, secrets)
}

func report(t testing.TB, what string, db *sql.DB, d Dialect, secrets []string) {
	t.Helper()
	if len(secrets) == 0 {
		t.Fatalf("storescan: no secrets given to look for in %s", what)
	}
	hits, err := Scan(context.Background(), db, d, secrets...)
	if err != nil {
		t.Fatalf("storescan: %s: %v", what, err)
	}
	for _, h := range hits {
		t.Errorf("storescan: a secret is stored in %s: %s", what, h)
	}
}
