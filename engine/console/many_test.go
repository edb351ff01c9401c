package console_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pipeline-cd/pipeline/engine/state"
)

// seedMany adds n components, each with a run, a release and, per
// environment, deps successful deployments (the last environment of every
// third component failed; every fifth has a gate waiting there).
func seedMany(t testing.TB, st state.Store, n int, envs []string, deps int) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		name := fmt.Sprintf("svc-%03d", i)
		runID := "run-" + name
		start := at(-600 + i)
		require.NoError(t, st.CreateRun(ctx, &state.Run{ID: runID, Pipeline: name, Component: name, Commit: fmt.Sprintf("%040d", i),
			Branch: "main", Author: "dev@example.com", Kind: "run", Status: state.StatusSucceeded, StartedAt: start, FinishedAt: start.Add(time.Minute)}))
		var rels []*state.Release
		for v := range 3 {
			rel := &state.Release{ID: fmt.Sprintf("rel-%s-%d", name, v), Pipeline: name, Version: fmt.Sprintf("1.%d.%d", i%7, v),
				Commit: fmt.Sprintf("%040d", i), Digest: fmt.Sprintf("sha256:%s-%d", name, v), RunID: runID, CreatedAt: start.Add(time.Duration(v) * time.Second)}
			require.NoError(t, st.CreateRelease(ctx, rel))
			rels = append(rels, rel)
		}
		for e, env := range envs {
			for k := range deps {
				rel := rels[k%len(rels)]
				status := state.StatusSucceeded
				if e == len(envs)-1 && i%3 == 0 && k == deps-1 {
					status = state.StatusFailed
				}
				ds := start.Add(time.Duration(e*deps+k) * time.Second)
				require.NoError(t, st.CreateDeployment(ctx, &state.Deployment{ID: fmt.Sprintf("d-%s-%s-%d", name, env, k), Pipeline: name, Environment: env,
					ReleaseID: rel.ID, Version: rel.Version, RunID: runID, Kind: state.DeployKindRun, Status: status, StartedAt: ds, FinishedAt: ds.Add(time.Second)}))
			}
		}
		if i%5 == 0 {
			require.NoError(t, st.PutGate(ctx, &state.Gate{RunID: runID, Pipeline: name, Environment: envs[len(envs)-1], Name: envs[len(envs)-1] + "/sign-off",
				Status: state.StatusWaiting, ReleaseDigest: rels[2].Digest, WaitingSince: start}))
		}
	}
}
