package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/dsl/loader"
	"github.com/pipeline-cd/pipeline/engine/mask"
	"github.com/pipeline-cd/pipeline/engine/notify"
	"github.com/pipeline-cd/pipeline/engine/rules"
	"github.com/pipeline-cd/pipeline/engine/signoff"
	"github.com/pipeline-cd/pipeline/engine/state"
)

// Decision is an approval or rejection of a gate.
type Decision struct {
	RunID string
	// Gate names the gate: its name ("go-live") when the run has no other
	// gate of that name, else "ENV/GATE" ("production/go-live"), which is
	// always accepted.
	Gate string
	By   string
	// Comment is stored with the decision and in its audit event after
	// every value of a declared secret set in the environment (see
	// mask.ForConfig) is replaced by mask.Replacement: the secrets of the
	// run's config (its working tree and its commit, as far as they load)
	// and of Config.
	Comment string
	// Config, when set, is a config (possibly partial) whose declared
	// secrets are masked in Comment too, e.g. the caller's own.
	Config *dsl.Config
	// By is claimed, not verified. ClaimedWith says how it was given
	// ("--as", "$PIPELINE_USER", "git config user.email"), Invoker who
	// ran the command as the runner sees it (git config user.email, else
	// USER@HOST) and Host the machine; the audit event records them beside
	// By: "carol@example.com (claimed with --as by alice@example.com on
	// HOST)". Empty fields are left out.
	ClaimedWith, Invoker, Host string
	// Sign, when set, signs the approval's payload (see signoff.Payload)
	// with the approver's SSH key: approve --sign.
	Sign func(payload []byte) ([]byte, error)
	// Signed is a signature made elsewhere (`ssh-keygen -Y sign -n
	// pipeline-approval` over the text ApprovalPayload returns) with the
	// payload it signs.
	Signed *signoff.Signed
}

// claim renders who decided for the audit event: By, and how it was
// claimed and by whom when d says so.
func (d Decision) claim() string {
	var parts []string
	if d.ClaimedWith != "" {
		parts = append(parts, "claimed with "+d.ClaimedWith)
	}
	if d.Invoker != "" {
		parts = append(parts, "by "+d.Invoker)
	}
	if d.Host != "" {
		parts = append(parts, "on "+d.Host)
	}
	if len(parts) == 0 {
		return d.By
	}
	return fmt.Sprintf("%s (%s)", d.By, strings.Join(parts, " "))
}

// DecisionResult is a recorded decision.
type DecisionResult struct {
	Run      *state.Run
	Gate     *state.Gate
	Approval *state.Approval
}

// Approve records d as an approval of a waiting gate after checking the
// gate's trusted approver rules (names, "author", "group:NAME",
// prevent_self_approval). The approval is bound to the digest of the run's
// release; it counts only while the release is unchanged. Refusals are
// errors wrapping rules.ErrNotApprover or rules.ErrSelfApproval (code 1);
// an unknown run or gate, a gate that is not waiting (ErrGateNotWaiting;
// also ErrRunCancelled for a cancelled run, and ErrGateExpired for a gate
// past its timeout, whose expiry is then recorded and audited once), or a
// bare gate name the run has in several environments (ErrAmbiguousGate,
// the error lists the ENV/GATE candidates) is code 2.
func (e *Engine) Approve(ctx context.Context, d Decision) (*DecisionResult, error) {
	return e.decide(ctx, d, "approve")
}

// Reject records d as a rejection: the gate is rejected and the run ends
// with status rejected. The same approver rules apply as for Approve.
func (e *Engine) Reject(ctx context.Context, d Decision) (*DecisionResult, error) {
	return e.decide(ctx, d, "reject")
}

func (e *Engine) decide(ctx context.Context, d Decision, decision string) (*DecisionResult, error) {
	run, err := e.getRun(ctx, d.RunID)
	if err != nil {
		return nil, err
	}
	rec, err := decodeRecorded(run)
	if err != nil {
		return nil, failed(err)
	}
	if run.Status == state.StatusCancelled {
		return nil, cancelledRefusal(run, rec, ErrGateNotWaiting)
	}
	env, base, err := e.resolveGate(ctx, run, rec, d.Gate)
	if err != nil {
		return nil, err
	}
	name := gateKey(env, base)
	g, err := e.getGate(ctx, run.ID, env, base)
	if errors.Is(err, state.ErrNotFound) {
		return nil, invalid(fmt.Errorf("run %s has no gate %q that was reached%s", run.ID, d.Gate, e.waitingHint(ctx, run)))
	}
	if err != nil {
		return nil, failed(fmt.Errorf("reading gate %s: %w", name, err))
	}
	if gateExpired(g, e.now()) {
		if err := e.expireRun(ctx, run, g); err != nil {
			return nil, failed(err)
		}
		return nil, expiredRefusal(g, ErrGateNotWaiting)
	}
	if g.Status == state.StatusCancelled {
		return nil, cancelledRefusal(run, rec, ErrGateNotWaiting)
	}
	if g.Status != gateWaiting {
		return nil, invalid(fmt.Errorf("%w: gate %s of run %s is %s", ErrGateNotWaiting, name, run.ID, g.Status))
	}
	rule, ok := rec.Gates[name]
	if old, oldOK := rec.Gates[base]; !ok && oldOK && old.Environment == env {
		rule, ok = old, true
	}
	if !ok {
		rule = rules.Gate{Environment: env, Name: base}
	}
	if err := rules.CheckApprover(rule, d.By, run.Author, e.groupResolver(ctx, rec.Groups)); err != nil {
		return nil, e.refuse(ctx, run, rec, g, d, decision, err)
	}
	digest, err := e.currentDigest(ctx, run)
	if err != nil {
		return nil, failed(err)
	}
	var sig *state.Signature
	if decision == "approve" {
		want := signoff.Payload{Run: run.ID, Gate: name, ReleaseDigest: digest, Approver: d.By, Time: e.now()}
		if sig, err = signoff.Approve(want, rule.Signed, rule.Approvers, rec.Signers, d.Sign, d.Signed, e.now()); err != nil {
			return nil, e.refuse(ctx, run, rec, g, d, decision, err)
		}
	}
	comment := e.decisionMasker(run, rec, d).String(d.Comment)
	a := &state.Approval{RunID: run.ID, Gate: g.Name, By: d.By, Decision: decision, Comment: comment, ReleaseDigest: digest, At: e.now(), Signature: sig}
	if err := e.store.AddApproval(ctx, a); err != nil {
		return nil, failed(fmt.Errorf("recording the %s: %w", decision, err))
	}
	if decision == "approve" {
		g.Status = gateApproved
	} else {
		g.Status = state.StatusRejected
	}
	g.DecidedAt = a.At
	if err := e.store.PutGate(ctx, g); err != nil {
		return nil, failed(fmt.Errorf("recording gate %s: %w", name, err))
	}
	if decision == "reject" {
		run.Status, run.Reason, run.FinishedAt, run.PID = state.StatusRejected, fmt.Sprintf("gate %s rejected by %s", name, d.By), e.now(), 0
		if err := e.store.UpdateRun(ctx, run); err != nil {
			return nil, failed(fmt.Errorf("recording the rejected run: %w", err))
		}
	}
	signedWith := ""
	if sig != nil {
		signedWith = ", signed with key " + sig.Fingerprint
	}
	ev := &state.AuditEvent{At: a.At, Actor: d.By, Action: decision, Pipeline: run.Pipeline, Environment: g.Environment,
		RunID: run.ID, Release: rec.Version, Signature: sig,
		Detail: strings.TrimSpace(fmt.Sprintf("gate %s, release digest %s, by %s%s %s", name, digest, d.claim(), signedWith, comment))}
	if err := e.store.AppendAudit(ctx, ev); err != nil {
		return nil, failed(fmt.Errorf("auditing the %s: %w", decision, err))
	}
	kind := "gate_approved"
	if decision == "reject" {
		kind = "gate_rejected"
	}
	e.notifyRun(ctx, run, rec, notify.Event{Kind: kind, Environment: g.Environment, Gate: base, Actor: d.By})
	return &DecisionResult{Run: run, Gate: g, Approval: a}, nil
}

// decisionMasker returns the masker for the comment of d on run: the
// secrets declared in d.Config and in the run's config, loaded (possibly
// partially) from its directory's working tree and at its commit, whose
// variables Options.Getenv finds set. Nothing is loaded for no comment.
func (e *Engine) decisionMasker(run *state.Run, rec *recorded, d Decision) *mask.Masker {
	if d.Comment == "" {
		return &mask.Masker{}
	}
	cfgs := []*dsl.Config{d.Config}
	if rec.Dir != "" {
		res, _ := loader.Load(loader.Request{Dir: rec.Dir, Vars: rec.Vars, Getenv: e.opts.Getenv})
		if res != nil {
			cfgs = append(cfgs, res.Config)
			if res.RepoRoot != "" && run.Commit != "" {
				if at, _ := loader.Load(loader.Request{Dir: rec.Dir, Ref: run.Commit, Vars: rec.Vars, Getenv: e.opts.Getenv}); at != nil {
					cfgs = append(cfgs, at.Config)
				}
			}
		}
	}
	e.learnSecrets(cfgs...)
	return mask.ForConfig(e.opts.Getenv, cfgs...)
}

// resolveGate turns the GATE argument of approve or reject into the
// environment and name of one gate of run. "ENV/GATE" names it exactly. A
// bare name must be the name of a gate in exactly one environment of the
// run; otherwise the error (ErrAmbiguousGate, code 2) lists the candidates.
func (e *Engine) resolveGate(ctx context.Context, run *state.Run, rec *recorded, ref string) (env, name string, err error) {
	if env, name, ok := strings.Cut(ref, gateSep); ok {
		if env == "" || name == "" || strings.Contains(name, gateSep) {
			return "", "", invalid(fmt.Errorf("gate %q is not GATE or ENV%sGATE; for example: go-live or production%sgo-live", ref, gateSep, gateSep))
		}
		return env, name, nil
	}
	envs := gateEnvs(rec.Gates, ref)
	if len(envs) == 0 {
		// A run recorded without its gate rules: look at its waiting gates.
		if gates, werr := e.store.WaitingGates(ctx, run.Pipeline); werr == nil {
			seen := map[string]bool{}
			for _, g := range gates {
				if g.RunID == run.ID && (g.Name == ref || g.Name == gateKey(g.Environment, ref)) && !seen[g.Environment] {
					seen[g.Environment] = true
					envs = append(envs, g.Environment)
				}
			}
			sort.Strings(envs)
		}
	}
	switch len(envs) {
	case 0:
		return "", "", invalid(fmt.Errorf("run %s has no gate %q%s", run.ID, ref, e.waitingHint(ctx, run)))
	case 1:
		return envs[0], ref, nil
	}
	candidates := make([]string, len(envs))
	for i, env := range envs {
		candidates[i] = gateKey(env, ref)
	}
	return "", "", invalid(fmt.Errorf("%w: run %s has a gate %q in %d environments; name one as ENV%sGATE: %s",
		ErrAmbiguousGate, run.ID, ref, len(envs), gateSep, strings.Join(candidates, ", ")))
}

// currentDigest returns the digest approvals of run bind to.
func (e *Engine) currentDigest(ctx context.Context, run *state.Run) (string, error) {
	if run.ReleaseID == "" {
		return digestFor(run, nil), nil
	}
	r, err := e.store.GetRelease(ctx, run.ReleaseID)
	if err != nil {
		return "", fmt.Errorf("reading the release of run %s: %w", run.ID, err)
	}
	return r.Digest, nil
}

func (e *Engine) waitingHint(ctx context.Context, run *state.Run) string {
	gates, err := e.store.WaitingGates(ctx, run.Pipeline)
	if err != nil {
		return ""
	}
	var names []string
	for _, g := range gates {
		if g.RunID == run.ID {
			names = append(names, g.Name)
		}
	}
	if len(names) == 0 {
		return fmt.Sprintf("; it is not waiting at any gate (status %s)", run.Status)
	}
	sort.Strings(names)
	return "; it is waiting at " + strings.Join(names, ", ")
}

// getRun reads a run; an unknown id is code 2.
func (e *Engine) getRun(ctx context.Context, id string) (*state.Run, error) {
	run, err := e.store.GetRun(ctx, id)
	if errors.Is(err, state.ErrNotFound) {
		return nil, invalid(fmt.Errorf("no run %q in the state store; list runs with `pipeline runs`", id))
	}
	if err != nil {
		return nil, failed(fmt.Errorf("reading run %s: %w", id, err))
	}
	return run, nil
}

func decodeRecorded(run *state.Run) (*recorded, error) {
	rec := &recorded{}
	if len(run.Options) == 0 {
		return rec, nil
	}
	if err := json.Unmarshal(run.Options, rec); err != nil {
		return nil, fmt.Errorf("reading the recorded options of run %s: %w", run.ID, err)
	}
	return rec, nil
}

// refuse audits a refused decision ("approve_refused", "reject_refused")
// with its reason and returns the refusal as a code-1 error.
func (e *Engine) refuse(ctx context.Context, run *state.Run, rec *recorded, g *state.Gate, d Decision, decision string, reason error) error {
	ev := &state.AuditEvent{At: e.now(), Actor: d.By, Action: decision + "_refused", Pipeline: run.Pipeline, Environment: g.Environment,
		RunID: run.ID, Release: rec.Version, Detail: fmt.Sprintf("gate %s, by %s: %v", g.Name, d.claim(), reason)}
	if err := e.store.AppendAudit(ctx, ev); err != nil {
		e.logger.Warn("could not audit a refused decision", "gate", g.Name, "by", d.By, "error", err)
	}
	return failed(reason)
}

// ApprovalPayload returns the text an approver signs to approve gate of
// run as by at the engine's current time, for signing elsewhere
// (`ssh-keygen -Y sign -n pipeline-approval`); pass it back with the
// signature as Decision.Signed within signoff.MaxAge.
func (e *Engine) ApprovalPayload(ctx context.Context, runID, gate, by string) ([]byte, error) {
	run, err := e.getRun(ctx, runID)
	if err != nil {
		return nil, err
	}
	rec, err := decodeRecorded(run)
	if err != nil {
		return nil, failed(err)
	}
	env, base, err := e.resolveGate(ctx, run, rec, gate)
	if err != nil {
		return nil, err
	}
	// A payload is only worth signing for a gate an approval can still open.
	g, err := e.getGate(ctx, run.ID, env, base)
	switch {
	case errors.Is(err, state.ErrNotFound):
		return nil, invalid(fmt.Errorf("run %s has no gate %q that was reached%s", run.ID, gate, e.waitingHint(ctx, run)))
	case err != nil:
		return nil, failed(fmt.Errorf("reading gate %s: %w", gateKey(env, base), err))
	case gateExpired(g, e.now()):
		return nil, expiredRefusal(g, ErrGateNotWaiting)
	case g.Status != gateWaiting:
		return nil, invalid(fmt.Errorf("%w: gate %s of run %s is %s", ErrGateNotWaiting, gateKey(env, base), run.ID, g.Status))
	}
	digest, err := e.currentDigest(ctx, run)
	if err != nil {
		return nil, failed(err)
	}
	return signoff.Payload{Run: run.ID, Gate: gateKey(env, base), ReleaseDigest: digest, Approver: by, Time: e.now()}.Bytes(), nil
}
