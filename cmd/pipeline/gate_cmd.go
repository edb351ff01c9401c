package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/pipeline-cd/pipeline/dsl/gitsrc"
	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/signoff"
	"github.com/pipeline-cd/pipeline/engine/view"
	"github.com/pipeline-cd/pipeline/internal/sshsig"
)

func init() {
	extraCommands = append(extraCommands, newApproveCommand, newRejectCommand)
}

func newApproveCommand(g *globals) *cobra.Command { return newDecisionCommand(g, "approve") }
func newRejectCommand(g *globals) *cobra.Command  { return newDecisionCommand(g, "reject") }

// gateArgHelp explains the GATE argument of approve and reject.
const gateArgHelp = `GATE is the gate's name (go-live) when the run has a gate of that name in
only one environment. Otherwise name it ENV/GATE (production/go-live), which
is always accepted; an ambiguous name is refused with the list of candidates.`

// decisionExitHelp documents the exit codes of approve and reject.
const decisionExitHelp = `Exit codes: 0 recorded; 1 refused by the rules (you are not an approver of
the gate, prevent_self_approval, no identity) or the store failed; 2 no such
run or gate, an ambiguous gate name, or a gate that is not waiting (already
decided, cancelled or expired).`

func newDecisionCommand(g *globals, verb string) *cobra.Command {
	var as, comment, signKey, sigFile, payloadFile string
	var printPayload bool
	short := "Approve a gate a run is waiting at"
	long := `approve records an approval of a gate of a waiting run, after checking the
gate's approvers (names, "author", "group:NAME") and prevent_self_approval as
read from the trusted ref. The approval is bound to the digest of the run's
release: if the release changes, it no longer counts. Continue the run with
pipeline resume RUN.

` + gateArgHelp + `

The identity is --as, else $PIPELINE_USER, else git config user.email. It is
claimed, not verified: anyone who can run approve can name any approver. The
audit event records it with how it was claimed and who ran the command (git
config user.email, else USER@HOST) on which host, for example
"carol@example.com (claimed with --as by alice@example.com on ci-7)". Restrict
who can run approve in your CI system (examples/ci shows how).

Signed approvals prove the identity. --sign KEY signs the approval (run, gate,
release digest, approver, time) in the format of ssh-keygen -Y sign, namespace
pipeline-approval, with KEY: a private key file, a public key file (KEY.pub)
whose private key your ssh-agent holds, or "agent" (the agent's only key). A
gate with signed = true accepts only approvals whose signature verifies
against the allowed_signers of its approver groups at the trusted ref; the
audit stores the signature and the key fingerprint (pipeline audit --verify
checks them again). To sign on another machine: --print-payload prints the
text to sign; sign it with ssh-keygen -Y sign -n pipeline-approval -f KEY FILE
and pass --payload FILE --signature FILE.sig within an hour.

` + decisionExitHelp
	if verb == "reject" {
		short = "Reject a gate a run is waiting at, ending the run"
		long = `reject records a rejection of a gate of a waiting run and ends the run with
status rejected. The same approver rules as for approve apply, and the
identity is claimed and audited the same way (see pipeline approve --help).

` + gateArgHelp + `

` + decisionExitHelp
	}
	example := fmt.Sprintf("  pipeline %s r-20261125-ab12cd go-live --as carol@example.com --comment \"checked the canary\"\n"+
		"  pipeline %s r-20261125-ab12cd production/sign-off", verb, verb)
	if verb == "approve" {
		example += "\n  pipeline approve r-20261125-ab12cd go-live --sign ~/.ssh/id_ed25519"
	}
	cmd := &cobra.Command{
		Use:     verb + " RUN GATE",
		Short:   short,
		Long:    long,
		Example: example,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := context.Background()
			eng, closeAll, err := g.openEngine(ctx, wiring{existing: true})
			if err != nil {
				return err
			}
			defer closeAll()
			d := engine.Decision{RunID: args[0], Gate: args[1], By: g.identity(as), Comment: comment, Config: g.partialConfig(g.ref)}
			d.ClaimedWith, d.Invoker, d.Host = g.claim(as)
			if printPayload {
				payload, err := eng.ApprovalPayload(ctx, d.RunID, d.Gate, d.By)
				if err != nil {
					return err
				}
				_, err = g.stdout.Write(payload)
				return err
			}
			release, err := signingFlags(&d, signKey, sigFile, payloadFile)
			if err != nil {
				return err
			}
			defer release()
			var res *engine.DecisionResult
			if verb == "approve" {
				res, err = eng.Approve(ctx, d)
			} else {
				res, err = eng.Reject(ctx, d)
			}
			if err != nil {
				return err
			}
			if g.json {
				return printDataJSON(g.stdout, view.NewDecision(res))
			}
			if verb == "approve" {
				fmt.Fprintf(g.stdout, "gate %s of run %s approved by %s (release digest %s)\ncontinue with: %s resume %s\n",
					res.Gate.Name, res.Run.ID, d.By, res.Approval.ReleaseDigest, g.cmdPrefix(), res.Run.ID)
				return nil
			}
			fmt.Fprintf(g.stdout, "gate %s of run %s rejected by %s; the run is %s\n", res.Gate.Name, res.Run.ID, d.By, res.Run.Status)
			return nil
		},
	}
	cmd.Flags().StringVar(&as, "as", "", "who decides, claimed and not verified (default: $PIPELINE_USER, else git config user.email)")
	cmd.Flags().StringVar(&comment, "comment", "", "why, recorded in the audit trail")
	if verb == "approve" {
		cmd.Flags().StringVar(&signKey, "sign", "", "sign the approval with this SSH key: a private key file, KEY.pub held by ssh-agent, or agent")
		cmd.Flags().BoolVar(&printPayload, "print-payload", false, "print the text to sign for this approval (ssh-keygen -Y sign -n pipeline-approval) and exit")
		cmd.Flags().StringVar(&payloadFile, "payload", "", "the payload signed elsewhere (from --print-payload); use with --signature")
		cmd.Flags().StringVar(&sigFile, "signature", "", "the SSH signature of --payload, made by ssh-keygen -Y sign -n pipeline-approval")
	}
	return cmd
}

// claim says how the identity of a decision was given (with, as
// engine.Decision.ClaimedWith), who ran the command (git config
// user.email, else USER@HOST) and on which host.
func (g *globals) claim(as string) (with, invoker, host string) {
	switch {
	case as != "":
		with = "--as"
	case os.Getenv("PIPELINE_USER") != "":
		with = "$PIPELINE_USER"
	default:
		with = "git config user.email"
	}
	host, _ = os.Hostname()
	abs, _ := filepath.Abs(g.dir)
	if root, err := gitsrc.RepoRoot(abs); err == nil {
		invoker = gitsrc.UserEmail(root)
	}
	if invoker == "" {
		name := os.Getenv("USER")
		if u, err := user.Current(); err == nil && u.Username != "" {
			name = u.Username
		}
		if name == "" {
			name = "unknown"
		}
		invoker = name + "@" + host
	}
	return with, invoker, host
}

// signingFlags sets the signature of d from approve's --sign, or from
// --payload and --signature. The returned function releases an ssh-agent
// connection.
func signingFlags(d *engine.Decision, signKey, sigFile, payloadFile string) (func(), error) {
	nop := func() {}
	switch {
	case signKey != "" && (sigFile != "" || payloadFile != ""):
		return nop, &usageError{errors.New("--sign signs here; --payload and --signature pass a signature made elsewhere: use one or the other")}
	case (sigFile == "") != (payloadFile == ""):
		return nop, &usageError{errors.New("--payload and --signature go together: the signature is over the payload from --print-payload")}
	case sigFile != "":
		payload, err := os.ReadFile(payloadFile)
		if err != nil {
			return nop, &usageError{fmt.Errorf("reading --payload: %w", err)}
		}
		sig, err := os.ReadFile(sigFile)
		if err != nil {
			return nop, &usageError{fmt.Errorf("reading --signature: %w", err)}
		}
		d.Signed = &signoff.Signed{Payload: payload, Signature: sig}
	case signKey != "":
		signer, release, err := signoff.LoadSigner(signKey, os.Getenv)
		if err != nil {
			return nop, &usageError{err}
		}
		d.Sign = func(payload []byte) ([]byte, error) { return sshsig.Sign(signer, signoff.Namespace, payload) }
		return release, nil
	}
	return nop, nil
}
