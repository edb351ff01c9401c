package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// migration is one numbered schema change. Versions start at 1, increase by
// one, and a released migration is never edited: a change is a new one.
type migration struct {
	version int
	name    string
	sql     string // statements separated by ";\n", with {{type}} macros
}

// ErrSchemaTooNew is wrapped by New when the database was migrated by a
// newer pipeline binary than this one.
var ErrSchemaTooNew = errors.New("state store schema is newer than this pipeline binary")

var migrations = []migration{
	{1, "initial schema", `
CREATE TABLE runs (
	id            {{text}} PRIMARY KEY,
	pipeline      {{text}} NOT NULL,
	component     {{text}} NOT NULL,
	commit_sha    {{text}} NOT NULL,
	branch        {{text}} NOT NULL,
	author        {{text}} NOT NULL,
	config_digest {{text}} NOT NULL,
	kind          {{text}} NOT NULL,
	status        {{text}} NOT NULL,
	reason        {{text}} NOT NULL,
	plan          {{blob}},
	options       {{blob}},
	release_id    {{text}} NOT NULL,
	host          {{text}} NOT NULL,
	pid           BIGINT NOT NULL,
	started_at    BIGINT NOT NULL,
	finished_at   BIGINT NOT NULL
);
CREATE INDEX runs_started ON runs (started_at, id);
CREATE INDEX runs_pipeline_started ON runs (pipeline, started_at, id);
CREATE INDEX runs_status_started ON runs (status, started_at, id);
CREATE TABLE nodes (
	run_id      {{text}} NOT NULL REFERENCES runs (id),
	node_id     {{text}} NOT NULL,
	kind        {{text}} NOT NULL,
	status      {{text}} NOT NULL,
	attempts    BIGINT NOT NULL,
	exit_code   BIGINT NOT NULL,
	reason      {{text}} NOT NULL,
	started_at  BIGINT NOT NULL,
	finished_at BIGINT NOT NULL,
	PRIMARY KEY (run_id, node_id)
);
CREATE TABLE logs (
	run_id    {{text}} NOT NULL REFERENCES runs (id),
	node_id   {{text}} NOT NULL,
	attempt   BIGINT NOT NULL,
	seq       BIGINT NOT NULL,
	stream    {{text}} NOT NULL,
	logged_at BIGINT NOT NULL,
	line      {{text}} NOT NULL,
	PRIMARY KEY (run_id, node_id, attempt, seq)
);
CREATE INDEX logs_run_time ON logs (run_id, logged_at, node_id, seq);
CREATE TABLE releases (
	id            {{text}} PRIMARY KEY,
	pipeline      {{text}} NOT NULL,
	version       {{text}} NOT NULL,
	commit_sha    {{text}} NOT NULL,
	branch        {{text}} NOT NULL,
	author        {{text}} NOT NULL,
	config_digest {{text}} NOT NULL,
	digest        {{text}} NOT NULL,
	run_id        {{text}} NOT NULL,
	created_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX releases_pipeline_version ON releases (pipeline, version);
CREATE INDEX releases_pipeline_created ON releases (pipeline, created_at, id);
CREATE TABLE release_artifacts (
	release_id {{text}} NOT NULL REFERENCES releases (id),
	pos        BIGINT NOT NULL,
	name       {{text}} NOT NULL,
	path       {{text}} NOT NULL,
	sha256     {{text}} NOT NULL,
	size       BIGINT NOT NULL,
	PRIMARY KEY (release_id, pos)
);
CREATE TABLE release_images (
	release_id {{text}} NOT NULL REFERENCES releases (id),
	pos        BIGINT NOT NULL,
	name       {{text}} NOT NULL,
	image_id   {{text}} NOT NULL,
	tag        {{text}} NOT NULL,
	PRIMARY KEY (release_id, pos)
);
CREATE TABLE deployments (
	id          {{text}} PRIMARY KEY,
	pipeline    {{text}} NOT NULL,
	environment {{text}} NOT NULL,
	release_id  {{text}} NOT NULL,
	version     {{text}} NOT NULL,
	run_id      {{text}} NOT NULL,
	kind        {{text}} NOT NULL,
	status      {{text}} NOT NULL,
	reason      {{text}} NOT NULL,
	approved_by {{text}} NOT NULL,
	commits     {{text}} NOT NULL,
	started_at  BIGINT NOT NULL,
	finished_at BIGINT NOT NULL
);
CREATE INDEX deployments_pipeline_env_started ON deployments (pipeline, environment, started_at, id);
CREATE INDEX deployments_started ON deployments (started_at, id);
CREATE INDEX deployments_release ON deployments (release_id, started_at, id);
CREATE TABLE gates (
	run_id         {{text}} NOT NULL REFERENCES runs (id),
	name           {{text}} NOT NULL,
	pipeline       {{text}} NOT NULL,
	environment    {{text}} NOT NULL,
	status         {{text}} NOT NULL,
	release_digest {{text}} NOT NULL,
	waiting_since  BIGINT NOT NULL,
	expires_at     BIGINT NOT NULL,
	decided_at     BIGINT NOT NULL,
	PRIMARY KEY (run_id, name)
);
CREATE INDEX gates_status_since ON gates (status, waiting_since);
CREATE TABLE approvals (
	id             {{serial}},
	run_id         {{text}} NOT NULL,
	gate           {{text}} NOT NULL,
	actor          {{text}} NOT NULL,
	decision       {{text}} NOT NULL,
	comment_text   {{text}} NOT NULL,
	release_digest {{text}} NOT NULL,
	decided_at     BIGINT NOT NULL,
	FOREIGN KEY (run_id, gate) REFERENCES gates (run_id, name)
);
CREATE INDEX approvals_gate ON approvals (run_id, gate, id);
CREATE TABLE audit (
	seq         {{serial}},
	at          BIGINT NOT NULL,
	actor       {{text}} NOT NULL,
	action      {{text}} NOT NULL,
	pipeline    {{text}} NOT NULL,
	environment {{text}} NOT NULL,
	run_id      {{text}} NOT NULL,
	release     {{text}} NOT NULL,
	detail      {{text}} NOT NULL
);
CREATE INDEX audit_pipeline ON audit (pipeline, seq);
CREATE TABLE locks (
	lock_key    {{text}} PRIMARY KEY,
	holder      {{text}} NOT NULL,
	host        {{text}} NOT NULL,
	pid         BIGINT NOT NULL,
	acquired_at BIGINT NOT NULL,
	expires_at  BIGINT NOT NULL
);
CREATE TABLE approver_groups (
	name    {{text}} PRIMARY KEY,
	members {{text}} NOT NULL
)`},
	{2, "approval signatures", `
ALTER TABLE approvals ADD COLUMN signed_payload {{text}} NOT NULL DEFAULT '';
ALTER TABLE approvals ADD COLUMN signature {{text}} NOT NULL DEFAULT '';
ALTER TABLE approvals ADD COLUMN key_fingerprint {{text}} NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN signed_payload {{text}} NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN signature {{text}} NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN key_fingerprint {{text}} NOT NULL DEFAULT ''`},
	{3, "compressed log chunks", `
CREATE TABLE log_chunks (
	run_id     {{text}} NOT NULL REFERENCES runs (id),
	node_id    {{text}} NOT NULL,
	attempt    BIGINT NOT NULL,
	first_seq  BIGINT NOT NULL,
	last_seq   BIGINT NOT NULL,
	first_at   BIGINT NOT NULL,
	last_at    BIGINT NOT NULL,
	line_count BIGINT NOT NULL,
	raw_bytes  BIGINT NOT NULL,
	codec      {{text}} NOT NULL,
	data       {{blob}} NOT NULL,
	PRIMARY KEY (run_id, node_id, attempt, first_seq)
);
CREATE INDEX log_chunks_run_time ON log_chunks (run_id, first_at, node_id, attempt, first_seq)`},
	{4, "step result and tool cache entries", `
CREATE TABLE cache_entries (
	kind       {{text}} NOT NULL,
	cache_key  {{text}} NOT NULL,
	pipeline   {{text}} NOT NULL,
	name       {{text}} NOT NULL,
	run_id     {{text}} NOT NULL,
	attempt    BIGINT NOT NULL,
	outputs    {{blob}},
	size       BIGINT NOT NULL,
	created_at BIGINT NOT NULL,
	used_at    BIGINT NOT NULL,
	PRIMARY KEY (kind, cache_key)
);
CREATE INDEX cache_entries_pipeline ON cache_entries (kind, pipeline, name)`},
}

// migrate applies pending migrations in one transaction. Concurrent openers
// are serialised by the dialect's migration lock (PostgreSQL) or by the
// write lock an IMMEDIATE transaction takes at BEGIN (SQLite), so each
// migration runs exactly once.
func (s *Store) migrate(ctx context.Context) error {
	latest := migrations[len(migrations)-1].version
	// Fast path for the common case, an up-to-date schema: a plain read, so
	// a read-only command does not queue for the write lock.
	if v, err := s.SchemaVersion(ctx); err == nil && v == latest {
		return nil
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if s.dialect.LockMigrations != nil {
			if err := s.dialect.LockMigrations(ctx, tx); err != nil {
				return fmt.Errorf("lock schema migrations: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    BIGINT PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at BIGINT NOT NULL
)`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		var current int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		if current > latest {
			return fmt.Errorf("%w: the database is at schema version %d, this binary knows up to %d; upgrade pipeline", ErrSchemaTooNew, current, latest)
		}
		for _, m := range migrations {
			if m.version <= current {
				continue
			}
			for _, stmt := range strings.Split(s.dialect.expand(m.sql), ";\n") {
				if strings.TrimSpace(stmt) == "" {
					continue
				}
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("schema migration %d (%s): %w", m.version, m.name, err)
				}
			}
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
				m.version, m.name, time.Now().UnixNano()); err != nil {
				return fmt.Errorf("record schema migration %d: %w", m.version, err)
			}
			s.log.Info("applied schema migration", "dialect", s.dialect.Name, "version", m.version, "name", m.name)
		}
		return nil
	})
}

// LatestVersion is the schema version this binary migrates to.
func LatestVersion() int { return migrations[len(migrations)-1].version }

// SchemaVersion returns the highest applied migration.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}
