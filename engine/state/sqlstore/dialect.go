package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
)

// Dialect holds the few places where SQLite and PostgreSQL disagree. Every
// query is written once, in the common subset of both (INSERT ... ON
// CONFLICT, RETURNING, LIMIT), with "?" placeholders and {{name}} type
// macros in migrations.
type Dialect struct {
	// Name is "sqlite" or "postgres"; it appears in errors and logs.
	Name string
	// Numbered turns "?" placeholders into "$1", "$2", ... (PostgreSQL).
	Numbered bool
	// Types replaces the {{name}} macros in migrations: "text" (a text
	// column ordered byte-wise), "blob" and "serial" (an auto-increment
	// integer primary key).
	Types map[string]string
	// LockMigrations, when set, runs first in the migration transaction and
	// holds a lock that serialises concurrent migrations until commit.
	// SQLite needs none: its write transactions begin IMMEDIATE.
	LockMigrations func(ctx context.Context, tx *sql.Tx) error
	// IsUniqueViolation reports a unique or primary key violation.
	IsUniqueViolation func(err error) bool
	// IsForeignKeyViolation reports a foreign key violation.
	IsForeignKeyViolation func(err error) bool
	// IsTransient reports an error after which the same statement may
	// succeed if retried: the server unreachable or restarting, a
	// connection dropped, a serialization failure, a busy database file.
	// Nil: nothing is retried.
	IsTransient func(err error) bool
}

// rebind rewrites "?" placeholders for the dialect. Queries hold no string
// literals containing "?", so a plain scan is enough.
func (d *Dialect) rebind(q string) string {
	if !d.Numbered {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// expand replaces the {{name}} macros of a migration.
func (d *Dialect) expand(q string) string {
	for k, v := range d.Types {
		q = strings.ReplaceAll(q, "{{"+k+"}}", v)
	}
	return q
}
