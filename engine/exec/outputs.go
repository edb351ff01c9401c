package exec

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"

	"github.com/hashicorp/go-hclog"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/engine/outputs"
	"github.com/pipeline-cd/pipeline/engine/plan"
	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/runners"
)

// newOutputDir makes the directory a step writes $PIPELINE_OUTPUT into. It
// is writable by everyone, so that a container running as another user
// can write its outputs.
func newOutputDir() (string, error) {
	dir, err := os.MkdirTemp("", "pipeline-output-")
	if err != nil {
		return "", fmt.Errorf("creating the directory for the step's $PIPELINE_OUTPUT: %w", err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		_ = os.RemoveAll(dir)
		return "", fmt.Errorf("creating the directory for the step's $PIPELINE_OUTPUT: %w", err)
	}
	return dir, nil
}

// resetOutputs removes what an earlier attempt wrote: a retried step
// starts with no outputs.
func resetOutputs(dir string) {
	_ = os.Remove(filepath.Join(dir, runners.OutputFile))
}

// removeOutputDir removes the directory once the step is done; the
// outputs are in memory and in the store by then.
func removeOutputDir(dir string, log hclog.Logger) {
	if err := os.RemoveAll(dir); err != nil {
		log.Warn("removing the outputs directory of a step", "dir", dir, "error", err)
	}
}

// collectOutputs reads the outputs a step wrote, keeps them for the steps
// after it and records them, masked, in the store. A step that wrote no
// file has no outputs. A file that cannot be parsed fails the step.
func (r *scheduler) collectOutputs(ctx context.Context, n *plan.Node, dir string) error {
	f, err := os.Open(filepath.Join(dir, runners.OutputFile))
	if errors.Is(err, fs.ErrNotExist) {
		// Finished without outputs: every key it is read for is "".
		r.mu.Lock()
		if r.outputs == nil {
			r.outputs = map[string]map[string]string{}
		}
		r.outputs[n.ID] = map[string]string{}
		r.mu.Unlock()
		return nil
	}
	if err != nil {
		return fmt.Errorf("step %s: reading its outputs: %w", n.ID, err)
	}
	defer f.Close()
	out, err := outputs.Parse(f)
	if err != nil {
		return fmt.Errorf("step %s wrote outputs that cannot be read: %w", n.ID, err)
	}
	r.mu.Lock()
	if r.outputs == nil {
		r.outputs = map[string]map[string]string{}
	}
	r.outputs[n.ID] = out
	r.mu.Unlock()
	if r.opts.Store == nil {
		return nil
	}
	masked := make(map[string]string, len(out))
	for k, v := range out {
		masked[k] = r.masker.String(v)
	}
	if err := r.opts.Store.PutOutputs(ctx, &state.Outputs{RunID: r.opts.RunID, NodeID: n.ID, Data: outputs.Encode(masked)}); err != nil {
		r.recordErr(fmt.Errorf("recording the outputs of %s: %w", n.ID, err))
	}
	return nil
}

// readOutputs loads the outputs a resumed run recorded before. They were
// stored masked: a secret in an output stays hidden after a resume.
func (r *scheduler) readOutputs(ctx context.Context) error {
	recs, err := r.opts.Store.Outputs(ctx, r.opts.RunID)
	if err != nil {
		return fmt.Errorf("exec: reading the recorded outputs of run %s: %w", r.opts.RunID, err)
	}
	r.outputs = make(map[string]map[string]string, len(recs))
	for _, rec := range recs {
		out, err := outputs.Decode(rec.Data)
		if err != nil {
			return fmt.Errorf("exec: the recorded outputs of %s in run %s: %w", rec.NodeID, r.opts.RunID, err)
		}
		r.outputs[rec.NodeID] = out
	}
	// A step that succeeded before without writing outputs has none.
	for id := range r.opts.Done {
		if n := nodeOf(r.p, id); n != nil && n.Kind == plan.KindStep && r.outputs[id] == nil {
			r.outputs[id] = map[string]string{}
		}
	}
	return nil
}

// outputsSnapshot returns a copy of the outputs known now.
func (r *scheduler) outputsSnapshot() map[string]map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.outputs) == 0 {
		return nil
	}
	return maps.Clone(r.outputs)
}

// buildWithOutputs evaluates a step again with the outputs of the steps
// before it, for runs without a Resolve function.
func (r *scheduler) buildWithOutputs(n *plan.Node, out map[string]map[string]string) (*runners.Step, error) {
	v, diags := r.p.Config.EvalStep(n.StageDef, n.Step.Def, dsl.Scope{Outputs: out})
	if diags.HasErrors() {
		return nil, fmt.Errorf("evaluating step %s: %w", n.ID, diags)
	}
	cp := *n
	sn := *n.Step
	sn.Values = v
	cp.Step = &sn
	if v.When.Known && !v.When.Value {
		return nil, fmt.Errorf("%w: %s", ErrWhenFalse, v.When.Source)
	}
	return buildStep(&cp)
}
