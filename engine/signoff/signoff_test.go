package signoff_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/pipeline-cd/pipeline/engine/signoff"
	"github.com/pipeline-cd/pipeline/internal/sshsig"

	// Registers the -update flag that go test ./... -update passes to every package.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

func signer(t *testing.T) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPayloadRoundTrip(t *testing.T) {
	p := signoff.Payload{Run: "r-1", Gate: "production/go-live", ReleaseDigest: "sha256:ab", Approver: "carol@example.com",
		Time: time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)}
	got, err := signoff.ParsePayload(p.Bytes())
	if err != nil || got != p {
		t.Fatalf("ParsePayload(Bytes()) = %+v, %v; want %+v", got, err, p)
	}
	for _, bad := range []string{"", "hello\n", strings.Replace(string(p.Bytes()), "run:", "rum:", 1),
		string(p.Bytes()) + "run: r-2\n", strings.Replace(string(p.Bytes()), "\n", "\r\n", 1)} {
		if _, err := signoff.ParsePayload([]byte(bad)); err == nil {
			t.Errorf("ParsePayload(%q) = nil error; want an error", bad)
		}
	}
	// A payload saved with Windows line endings says so.
	crlf := strings.ReplaceAll(string(p.Bytes()), "\n", "\r\n")
	if _, err := signoff.ParsePayload([]byte(crlf)); err == nil || !strings.Contains(err.Error(), "CRLF") {
		t.Errorf("ParsePayload(CRLF) = %v; want an error naming the CRLF line endings", err)
	}
}

func TestApprove(t *testing.T) {
	carol, mallory := signer(t), signer(t)
	signers := map[string]string{"rm": "carol@example.com " + string(ssh.MarshalAuthorizedKey(carol.PublicKey()))}
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	want := signoff.Payload{Run: "r-1", Gate: "production/go-live", ReleaseDigest: "sha256:ab", Approver: "carol@example.com", Time: now}
	signWith := func(s ssh.Signer) func([]byte) ([]byte, error) {
		return func(p []byte) ([]byte, error) { return sshsig.Sign(s, signoff.Namespace, p) }
	}
	old := want
	old.Time = now.Add(-2 * time.Hour)
	oldPayload := old.Bytes()
	oldSig, _ := sshsig.Sign(carol, signoff.Namespace, oldPayload)
	tests := []struct {
		name    string
		signed  bool
		sign    func([]byte) ([]byte, error)
		given   *signoff.Signed
		wantErr error
	}{
		{"unsigned gate, no signature", false, nil, nil, nil},
		{"signed gate, no signature", true, nil, nil, signoff.ErrUnsigned},
		{"signed by carol", true, signWith(carol), nil, nil},
		{"signed by mallory", true, signWith(mallory), nil, sshsig.ErrNotAllowed},
		{"stale payload", true, nil, &signoff.Signed{Payload: oldPayload, Signature: oldSig}, signoff.ErrStale},
	}
	for _, tc := range tests {
		sig, err := signoff.Approve(want, tc.signed, []string{"group:rm"}, signers, tc.sign, tc.given, now)
		if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
			t.Errorf("%s: Approve() error = %v; want %v", tc.name, err, tc.wantErr)
			continue
		}
		if tc.wantErr == nil && (tc.sign != nil) != (sig != nil) {
			t.Errorf("%s: Approve() signature = %v; want one exactly when signed", tc.name, sig)
		}
		if sig != nil {
			if err := signoff.VerifyStored(sig, "r-1", "production", "carol@example.com"); err != nil {
				t.Errorf("%s: VerifyStored = %v; want nil", tc.name, err)
			}
			if err := signoff.VerifyStored(sig, "r-2", "production", "carol@example.com"); !errors.Is(err, signoff.ErrMismatch) {
				t.Errorf("%s: VerifyStored(other run) = %v; want ErrMismatch", tc.name, err)
			}
			// a signature moved onto another environment's approval event
			if err := signoff.VerifyStored(sig, "r-1", "staging", "carol@example.com"); !errors.Is(err, signoff.ErrMismatch) {
				t.Errorf("%s: VerifyStored(other environment) = %v; want ErrMismatch", tc.name, err)
			}
		}
	}
}
