package docker

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	"github.com/hashicorp/go-hclog"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/pipeline-cd/pipeline/internal/testenv"
	"github.com/pipeline-cd/pipeline/runners"
)

// lateCreate is the real engine, except that a create request is
// cancelled just as the engine completes it: the race a busy machine
// produces when a step is cancelled while its container is being created.
type lateCreate struct {
	*client.Client
	cancel context.CancelFunc
}

func (c *lateCreate) ContainerCreate(ctx context.Context, cfg *container.Config, host *container.HostConfig,
	net *network.NetworkingConfig, platform *ocispec.Platform, name string) (container.CreateResponse, error) {
	if _, err := c.Client.ContainerCreate(context.Background(), cfg, host, net, platform, name); err != nil {
		return container.CreateResponse{}, err
	}
	c.cancel()
	<-ctx.Done()
	return container.CreateResponse{}, ctx.Err()
}

// TestCancelledCreateLeavesNoContainer checks that a container the engine
// created after its create request was cancelled is removed.
func TestCancelledCreateLeavesNoContainer(t *testing.T) {
	cli := testenv.RequireDocker(t)
	testenv.RequireTestImage(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := New(&lateCreate{Client: cli, cancel: cancel}, Options{}, hclog.NewNullLogger())
	run := runID(t)
	step := &runners.Step{ID: "late", RunID: run, Script: "sleep 30", Image: testenv.TestImage, Workspace: t.TempDir()}
	if _, err := r.Run(ctx, step, nil, nil); !errors.Is(err, runners.ErrCanceled) {
		t.Fatalf("Run with a cancelled create = %v; want ErrCanceled", err)
	}
	wctx, wcancel := context.WithTimeout(context.Background(), time.Minute)
	defer wcancel()
	if err := r.Wait(wctx); err != nil {
		t.Fatal(err)
	}
	if left := containersOf(t, cli, run); len(left) != 0 {
		t.Errorf("containers labelled %s=%s after a cancelled create: %d; want 0", runners.LabelRun, run, len(left))
		for _, c := range left {
			_ = cli.ContainerRemove(context.Background(), c.ID, container.RemoveOptions{Force: true})
		}
	}
}
