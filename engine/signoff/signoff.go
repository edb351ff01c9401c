// Package signoff binds a gate approval to an SSH signature: the payload an
// approver signs (run, gate, release digest, approver, time), its canonical
// text, and the checks a signed gate applies before it counts an approval.
//
// The signature format is OpenSSH's (internal/sshsig), so an approver can
// sign with `pipeline approve --sign` or with `ssh-keygen -Y sign -n
// pipeline-approval` on their own machine, and anyone can verify a stored
// approval with `ssh-keygen -Y verify`.
package signoff

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/internal/sshsig"
)

// Namespace is the SSH signature namespace of approvals.
const Namespace = "pipeline-approval"

const header = "pipeline-approval v1"

// MaxAge is how long after its time a payload signed elsewhere may be
// submitted; MaxSkew is how far in the future its time may be.
const (
	MaxAge  = time.Hour
	MaxSkew = 5 * time.Minute
)

var (
	// ErrUnsigned reports an approval of a signed gate without a signature.
	ErrUnsigned = errors.New("this gate requires a signed approval")
	// ErrMismatch reports a payload that signs something else: another run,
	// gate, release or approver.
	ErrMismatch = errors.New("the signed approval is for something else")
	// ErrStale reports a payload whose time is too old or in the future.
	ErrStale = errors.New("the signed approval is stale")
)

// Payload is what an approver signs.
type Payload struct {
	Run           string
	Gate          string // ENV/GATE
	ReleaseDigest string
	Approver      string
	Time          time.Time
}

// Bytes is the canonical text of p, the exact bytes that are signed.
func (p Payload) Bytes() []byte {
	return fmt.Appendf(nil, "%s\nrun: %s\ngate: %s\nrelease-digest: %s\napprover: %s\ntime: %s\n",
		header, p.Run, p.Gate, p.ReleaseDigest, p.Approver, p.Time.UTC().Format(time.RFC3339))
}

// ParsePayload reads the canonical text back; it must be exactly what
// Bytes renders.
func ParsePayload(b []byte) (Payload, error) {
	var p Payload
	if bytes.Contains(b, []byte("\r")) {
		return p, errors.New("approval payload has CRLF (Windows) line endings; sign the text `pipeline approve --print-payload` prints, unchanged, with LF line endings")
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	if !sc.Scan() || sc.Text() != header {
		return p, fmt.Errorf("not an approval payload: the first line must be %q", header)
	}
	fields := map[string]*string{"run": &p.Run, "gate": &p.Gate, "release-digest": &p.ReleaseDigest, "approver": &p.Approver}
	var ts string
	fields["time"] = &ts
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ": ")
		dst, known := fields[k]
		if !ok || !known || *dst != "" {
			return p, fmt.Errorf("approval payload line %q is not one of run, gate, release-digest, approver, time (once each)", sc.Text())
		}
		*dst = v
	}
	t, err := time.Parse(time.RFC3339, ts)
	if err != nil {
		return p, fmt.Errorf("approval payload time %q: %v", ts, err)
	}
	p.Time = t
	if !bytes.Equal(p.Bytes(), b) {
		return p, errors.New("approval payload is not in canonical form; sign the text `pipeline approve --print-payload` prints, unchanged")
	}
	return p, nil
}

// Signed is a payload with its armored signature.
type Signed struct {
	Payload   []byte
	Signature []byte
}

// Verified is a signature that passed Check.
type Verified struct {
	Payload     Payload
	Fingerprint string // SHA256:... of the signing key
}

// Check verifies that s signs want (run, gate, release digest, approver;
// its time must be within MaxAge before now and MaxSkew after it) in
// Namespace, with a key that allowed lets sign for the approver at the
// payload's time. The error says which check failed.
func Check(s Signed, want Payload, allowed sshsig.AllowedSigners, now time.Time) (*Verified, error) {
	if len(s.Signature) == 0 {
		return nil, ErrUnsigned
	}
	p, err := ParsePayload(s.Payload)
	if err != nil {
		return nil, err
	}
	if err := matches(p, want); err != nil {
		return nil, err
	}
	if p.Time.Before(now.Add(-MaxAge)) || p.Time.After(now.Add(MaxSkew)) {
		return nil, fmt.Errorf("%w: it was signed for %s, and a signature is accepted up to %s after its time (now %s); sign a fresh payload",
			ErrStale, p.Time.UTC().Format(time.RFC3339), MaxAge, now.UTC().Format(time.RFC3339))
	}
	return verify(s, p, allowed)
}

// Recheck verifies a stored signature again: the signature over the
// payload, its namespace, and (when allowed is non-nil) the signer rules at
// the payload's time. It does not apply the freshness window.
func Recheck(s Signed, allowed sshsig.AllowedSigners) (*Verified, error) {
	p, err := ParsePayload(s.Payload)
	if err != nil {
		return nil, err
	}
	return verify(s, p, allowed)
}

func verify(s Signed, p Payload, allowed sshsig.AllowedSigners) (*Verified, error) {
	sig, err := sshsig.Verify(s.Signature, s.Payload, Namespace)
	if err != nil {
		return nil, err
	}
	if allowed != nil {
		if err := allowed.Check(p.Approver, Namespace, sig.PublicKey, p.Time); err != nil {
			return nil, err
		}
	}
	return &Verified{Payload: p, Fingerprint: sshsig.Fingerprint(sig.PublicKey)}, nil
}

func matches(got, want Payload) error {
	for _, f := range []struct{ name, got, want string }{
		{"run", got.Run, want.Run},
		{"gate", got.Gate, want.Gate},
		{"release digest", got.ReleaseDigest, want.ReleaseDigest},
		{"approver", got.Approver, want.Approver},
	} {
		if f.got != f.want && !(f.name == "approver" && strings.EqualFold(f.got, f.want)) {
			return fmt.Errorf("%w: it signs %s %q, but this approval is for %q", ErrMismatch, f.name, f.got, f.want)
		}
	}
	return nil
}

// SignersOf returns the allowed_signers text of each group of cfg that
// declares one; nil for a nil cfg.
func SignersOf(cfg *dsl.Config) map[string]string {
	if cfg == nil {
		return nil
	}
	out := map[string]string{}
	for name, g := range cfg.Groups {
		if g.AllowedSigners != "" {
			out[name] = g.AllowedSigners
		}
	}
	return out
}

// AllowedFor returns the signers that may sign approvals of a gate with
// these approvers: the allowed_signers of each "group:NAME" approver, from
// signers (group name to allowed_signers text, as SignersOf returns).
func AllowedFor(approvers []string, signers map[string]string) (sshsig.AllowedSigners, error) {
	var out sshsig.AllowedSigners
	for _, a := range approvers {
		name, ok := strings.CutPrefix(a, "group:")
		if !ok || signers[name] == "" {
			continue
		}
		s, err := sshsig.ParseAllowedSigners([]byte(signers[name]))
		if err != nil {
			return nil, fmt.Errorf("allowed_signers of group %s: %w", name, err)
		}
		out = append(out, s...)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: none of the gate's approver groups (%s) has allowed_signers at the trusted ref", sshsig.ErrNotAllowed, strings.Join(approvers, ", "))
	}
	return out, nil
}

// Approve applies a gate's signature rule to one approval and returns what
// to store with it: nil when the gate is not signed and no signature was
// given. want is the approval (its Time is now); sign signs want's payload
// with the approver's key (approve --sign), signed is a signature made
// elsewhere; at most one is set. A signed gate refuses an unsigned approval
// (ErrUnsigned) and any signature that fails Check against the allowed
// signers of its approver groups. A signature on a gate that is not signed
// is checked the same way when its groups have allowed_signers, and else
// only for its own validity over the payload.
func Approve(want Payload, gateSigned bool, approvers []string, signers map[string]string,
	sign func([]byte) ([]byte, error), signed *Signed, now time.Time) (*state.Signature, error) {
	if !gateSigned && sign == nil && signed == nil {
		return nil, nil
	}
	want.Time = want.Time.UTC().Truncate(time.Second)
	var s Signed
	switch {
	case signed != nil:
		s = *signed
	case sign != nil:
		s.Payload = want.Bytes()
		armored, err := sign(s.Payload)
		if err != nil {
			return nil, fmt.Errorf("signing the approval: %w", err)
		}
		s.Signature = armored
	default:
		return nil, fmt.Errorf("%w: gate %s accepts only approvals signed by a key in its approver groups' allowed_signers; "+
			"pass --sign KEY (a private key file, KEY.pub held by your ssh-agent, or agent)", ErrUnsigned, want.Gate)
	}
	allowed, err := AllowedFor(approvers, signers)
	if err != nil && gateSigned {
		return nil, err
	}
	v, err := Check(s, want, allowed, now)
	if err != nil {
		return nil, fmt.Errorf("the signature of %s's approval of gate %s is refused: %w", want.Approver, want.Gate, err)
	}
	return &state.Signature{Payload: string(s.Payload), Armored: string(s.Signature), Fingerprint: v.Fingerprint}, nil
}

// VerifyStored checks a stored signature again (pipeline audit --verify):
// the signature over its payload in Namespace, the recorded key
// fingerprint, and that the payload names the run, the environment (of
// its ENV/GATE) and the approver the record does. It does not apply the freshness window or the allowed
// signers, which were checked when the approval was given.
func VerifyStored(sig *state.Signature, runID, environment, approver string) error {
	v, err := Recheck(Signed{Payload: []byte(sig.Payload), Signature: []byte(sig.Armored)}, nil)
	if err != nil {
		return err
	}
	switch {
	case v.Fingerprint != sig.Fingerprint:
		return fmt.Errorf("%w: signed by key %s, but the record says %s", ErrMismatch, v.Fingerprint, sig.Fingerprint)
	case v.Payload.Run != runID:
		return fmt.Errorf("%w: it signs run %s, but the record is of run %s", ErrMismatch, v.Payload.Run, runID)
	case environment != "" && !strings.HasPrefix(v.Payload.Gate, environment+"/"):
		return fmt.Errorf("%w: it signs gate %s, but the record is of environment %s", ErrMismatch, v.Payload.Gate, environment)
	case !strings.EqualFold(v.Payload.Approver, approver):
		return fmt.Errorf("%w: it signs approver %s, but the record names %s", ErrMismatch, v.Payload.Approver, approver)
	}
	return nil
}
