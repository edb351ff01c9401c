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
