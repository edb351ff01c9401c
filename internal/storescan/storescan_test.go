package storescan

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/internal/pgtest"

	// Registers the -update flag: go test ./... -update passes it to every
	// test binary, and this package has no golden files to rewrite.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

const secret = "hunter2-Sup3r/Secret+value"

// TestFormsFindEmbeddedEncodings checks that each derived form of the
// secret, embedded in longer text at every offset, contains one of Forms.
func TestFormsFindEmbeddedEncodings(t *testing.T) {
	forms := Forms(secret)
	found := func(s string) bool {
		for _, f := range forms {
			if strings.Contains(s, f.Text) {
				return true
			}
		}
		return false
	}
	var cases []string
	for _, prefix := range []string{"", "u", "us", "user:", "Basic x"} {
		for _, suffix := range []string{"", "!", "!!", "@host"} {
			raw := []byte(prefix + secret + suffix)
			cases = append(cases,
				base64.StdEncoding.EncodeToString(raw), base64.URLEncoding.EncodeToString(raw),
				base64.RawStdEncoding.EncodeToString(raw), hex.EncodeToString(raw),
				strings.ToUpper(hex.EncodeToString(raw)), url.QueryEscape(string(raw)), url.PathEscape(string(raw)))
		}
	}
	for _, c := range cases {
		if !found("header: " + c + " end") {
			t.Errorf("Forms(secret) finds nothing in %q", c)
		}
	}
	if found("ordinary text with no secret at all, dXNlcjpodW50") {
		t.Errorf("Forms(secret) matches text without the secret")
	}
}

func createTable(t *testing.T, db *sql.DB, rows ...string) {
	t.Helper()
	if _, err := db.Exec(`CREATE TABLE runs (id TEXT, options BLOB, n INTEGER)`); err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if _, err := db.Exec(`INSERT INTO runs (id, options, n) VALUES ($1, $2, $3)`, fmt.Sprintf("r%d", i), []byte(r), i); err != nil {
			t.Fatal(err)
		}
	}
}

func TestScanSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	basic := base64.StdEncoding.EncodeToString([]byte("user:" + secret))
	createTable(t, db, `{"vars":[{"name":"k","value":"***"}]}`, `{"header":"Basic `+basic+`"}`, "clean", hex.EncodeToString([]byte(secret)))
	db.Close()

	db, err = sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	hits, err := Scan(context.Background(), db, DialectSQLite, secret)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range hits {
		got = append(got, fmt.Sprintf("%s.%s row %d %s", h.Table, h.Column, h.Row, h.Form))
		if strings.Contains(h.String(), secret) {
			t.Errorf("Hit.String() = %q shows the secret", h)
		}
	}
	want := []string{"runs.options row 2 base64 std offset 2", "runs.options row 4 hex"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Scan hits =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if hits, err := Scan(context.Background(), db, DialectSQLite, "another-secret-value"); err != nil || len(hits) != 0 {
		t.Errorf("Scan(another secret) = %v, %v; want no hits", hits, err)
	}
}

func TestScanPostgres(t *testing.T) {
	dsn := pgtest.FreshSchema(t)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE runs (id TEXT, options BYTEA, n INTEGER)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO runs VALUES ('a', $1, 1), ('b', 'clean', 2)`, []byte("x "+url.QueryEscape(secret))); err != nil {
		t.Fatal(err)
	}
	hits, err := Scan(context.Background(), db, DialectPostgres, secret)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 1 || hits[0].Form != "url query" || hits[0].Row != 1 {
		t.Errorf("Scan = %v; want one hit in row 1 as url query", hits)
	}
}

// TestFormsFindJSONEscapedCase checks the forms a JSON document stores:
// the lower-case form of a secret with HTML characters, escaped.
func TestFormsFindJSONEscapedCase(t *testing.T) {
	const s = "Key-Sensitive&Value<7>"
	cell := `{"run":"echo key-sensitive\u0026value\u003c7\u003e"}`
	var names []string
	for _, f := range Forms(s) {
		if strings.Contains(cell, f.Text) {
			names = append(names, f.Name)
		}
	}
	if len(names) != 1 || names[0] != "lower json" {
		t.Errorf("forms of %q found in %s = %v; want [lower json]", s, cell, names)
	}
}
