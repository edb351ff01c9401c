package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/pipeline-cd/pipeline/engine/state"
)

const releaseColumns = `id, pipeline, version, commit_sha, branch, author, config_digest, digest, run_id, created_at`

// CreateRelease implements state.ReleaseStore. The release row, its
// artifacts and its images are written in one transaction; the unique index
// on (pipeline, version) makes a second release of a version fail with
// state.ErrReleaseExists even when two processes race.
func (s *Store) CreateRelease(ctx context.Context, r *state.Release) error {
	if r.ID == "" {
		r.ID = state.NewID()
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = time.Now().UTC()
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO releases (`+releaseColumns+`)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			r.ID, r.Pipeline, r.Version, r.Commit, r.Branch, r.Author, r.ConfigDigest, r.Digest, r.RunID, ns(r.CreatedAt)); err != nil {
			return s.classify(err, state.ErrReleaseExists)
		}
		for i, a := range r.Artifacts {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO release_artifacts (release_id, pos, name, path, sha256, size)
VALUES (?, ?, ?, ?, ?, ?)`), r.ID, i, a.Name, a.Path, a.SHA256, a.Size); err != nil {
				return fmt.Errorf("artifact %q: %w", a.Name, err)
			}
		}
		for i, im := range r.Images {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO release_images (release_id, pos, name, image_id, tag)
VALUES (?, ?, ?, ?, ?)`), r.ID, i, im.Name, im.ID, im.Tag); err != nil {
				return fmt.Errorf("image %q: %w", im.Name, err)
			}
		}
		if r.Outputs != nil {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO release_outputs (release_id, data) VALUES (?, ?)`), r.ID, r.Outputs); err != nil {
				return fmt.Errorf("outputs: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("create release %s %s: %w", r.Pipeline, r.Version, err)
	}
	return nil
}

// GetRelease implements state.ReleaseStore.
func (s *Store) GetRelease(ctx context.Context, id string) (*state.Release, error) {
	r, err := s.oneRelease(ctx, `SELECT `+releaseColumns+` FROM releases WHERE id = ?`, id)
	if err != nil {
		return nil, fmt.Errorf("get release %q: %w", id, err)
	}
	return r, nil
}

// ReleaseByVersion implements state.ReleaseStore.
func (s *Store) ReleaseByVersion(ctx context.Context, pipeline, version string) (*state.Release, error) {
	r, err := s.oneRelease(ctx, `SELECT `+releaseColumns+` FROM releases WHERE pipeline = ? AND version = ?`, pipeline, version)
	if err != nil {
		return nil, fmt.Errorf("release %s of pipeline %q: %w", version, pipeline, err)
	}
	return r, nil
}

// ListReleases implements state.ReleaseStore.
func (s *Store) ListReleases(ctx context.Context, pipeline string, limit int) ([]*state.Release, error) {
	query := `SELECT ` + releaseColumns + ` FROM releases WHERE pipeline = ? ORDER BY created_at DESC, id DESC`
	args := []any{pipeline}
	if limit > 0 {
		query += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("list releases of %q: %w", pipeline, err)
	}
	var out []*state.Release
	for rows.Next() {
		r, err := scanRelease(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("list releases of %q: %w", pipeline, err)
		}
		out = append(out, r)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("list releases of %q: %w", pipeline, err)
	}
	for _, r := range out {
		if err := s.loadReleaseParts(ctx, r); err != nil {
			return nil, fmt.Errorf("list releases of %q: %w", pipeline, err)
		}
	}
	return out, nil
}

func (s *Store) oneRelease(ctx context.Context, query string, args ...any) (*state.Release, error) {
	r, err := scanRelease(s.db.QueryRowContext(ctx, s.q(query), args...))
	if err != nil {
		return nil, notFound(err)
	}
	if err := s.loadReleaseParts(ctx, r); err != nil {
		return nil, err
	}
	return r, nil
}

func scanRelease(sc scanner) (*state.Release, error) {
	var r state.Release
	var created int64
	if err := sc.Scan(&r.ID, &r.Pipeline, &r.Version, &r.Commit, &r.Branch, &r.Author, &r.ConfigDigest,
		&r.Digest, &r.RunID, &created); err != nil {
		return nil, err
	}
	r.CreatedAt = tm(created)
	return &r, nil
}

// loadReleaseParts reads r's artifacts and images in the order they were created.
func (s *Store) loadReleaseParts(ctx context.Context, r *state.Release) error {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT name, path, sha256, size FROM release_artifacts WHERE release_id = ? ORDER BY pos`), r.ID)
	if err != nil {
		return fmt.Errorf("artifacts: %w", err)
	}
	for rows.Next() {
		var a state.Artifact
		if err := rows.Scan(&a.Name, &a.Path, &a.SHA256, &a.Size); err != nil {
			rows.Close()
			return fmt.Errorf("artifacts: %w", err)
		}
		r.Artifacts = append(r.Artifacts, a)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return fmt.Errorf("artifacts: %w", err)
	}
	rows, err = s.db.QueryContext(ctx, s.q(`SELECT name, image_id, tag FROM release_images WHERE release_id = ? ORDER BY pos`), r.ID)
	if err != nil {
		return fmt.Errorf("images: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var im state.Image
		if err := rows.Scan(&im.Name, &im.ID, &im.Tag); err != nil {
			return fmt.Errorf("images: %w", err)
		}
		r.Images = append(r.Images, im)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("images: %w", err)
	}
	var data []byte
	err = s.db.QueryRowContext(ctx, s.q(`SELECT data FROM release_outputs WHERE release_id = ?`), r.ID).Scan(&data)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return fmt.Errorf("outputs: %w", err)
	default:
		r.Outputs = data
	}
	return nil
}
