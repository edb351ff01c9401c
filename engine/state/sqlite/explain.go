package sqlite

import (
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Explain returns what a SQLite error in err's chain means for a user of
// the state store and what to do about it, in one or two sentences; ""
// when err holds no SQLite error. SQLite's own result codes (the "(5)" of
// "database is locked (5)") mean nothing to a user and must never become
// an exit code, so the CLI prints this beside them and exits with its
// documented codes.
func Explain(err error) string {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return ""
	}
	switch e.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return fmt.Sprintf("The SQLite state store stayed locked by another pipeline process for longer than %s. "+
			"Run the command again once that process is done; for many CI jobs writing at once, use a PostgreSQL store (--state postgres://...).", BusyTimeout)
	case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM, sqlite3.SQLITE_AUTH:
		return "The SQLite state store cannot be written: make the state file and its directory writable for this user, or point --state at a writable path."
	case sqlite3.SQLITE_FULL:
		return "The disk holding the SQLite state store is full: free space, then run the command again."
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return "The state file is not a SQLite database or is damaged: point --state at the right file, or restore it from a backup."
	case sqlite3.SQLITE_CANTOPEN:
		return "The SQLite state store cannot be opened: check that its directory exists and is readable and writable."
	case sqlite3.SQLITE_IOERR:
		return "Reading or writing the SQLite state store failed at the disk: check the disk and the file system, then run the command again."
	}
	return "This is an error of the SQLite state store; the number in parentheses is SQLite's result code, not an exit code."
}
