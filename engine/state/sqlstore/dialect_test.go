package sqlstore

import (
	"testing"

	// Registers the -update flag: go test ./... -update passes it to every
	// test binary, and this package has no golden files to rewrite.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

func TestRebind(t *testing.T) {
	numbered := &Dialect{Numbered: true}
	plain := &Dialect{}
	tests := []struct {
		d    *Dialect
		in   string
		want string
	}{
		{numbered, "SELECT a FROM t WHERE b = ? AND c = ?", "SELECT a FROM t WHERE b = $1 AND c = $2"},
		{numbered, "SELECT 1", "SELECT 1"},
		{plain, "SELECT a FROM t WHERE b = ?", "SELECT a FROM t WHERE b = ?"},
	}
	for _, tt := range tests {
		if got := tt.d.rebind(tt.in); got != tt.want {
			t.Errorf("rebind(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestExpand(t *testing.T) {
	d := &Dialect{Types: map[string]string{"text": `TEXT COLLATE "C"`, "blob": "BYTEA"}}
	in := "CREATE TABLE x (a {{text}} NOT NULL, b {{blob}})"
	want := `CREATE TABLE x (a TEXT COLLATE "C" NOT NULL, b BYTEA)`
	if got := d.expand(in); got != want {
		t.Errorf("expand(%q) = %q; want %q", in, got, want)
	}
}

// TestMigrationsNumbered checks that migration versions start at 1 and
// increase by one, which migrate relies on.
func TestMigrationsNumbered(t *testing.T) {
	for i, m := range migrations {
		if m.version != i+1 {
			t.Errorf("migrations[%d].version = %d; want %d", i, m.version, i+1)
		}
	}
}
