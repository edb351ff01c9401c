package local

import (
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/pipeline-cd/pipeline/runners"
	"github.com/pipeline-cd/pipeline/runners/runnertest"
)

func TestConformance(t *testing.T) {
	runnertest.Run(t, func(t *testing.T) runners.Runner {
		return New(Options{StopGrace: time.Second}, hclog.NewNullLogger())
	}, runnertest.Options{StopWithin: 3 * time.Second})
}
