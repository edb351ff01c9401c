package sshsig_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/pipeline-cd/pipeline/internal/sshsig"
	"github.com/pipeline-cd/pipeline/internal/testenv"

	// Registers the -update flag that go test ./... -update passes to every package.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

const ns = "pipeline-approval"

// keygen makes a key pair with the real ssh-keygen and returns the private
// key file's path and the parsed signer.
func keygen(t *testing.T, dir, name, typ string) (string, ssh.Signer) {
	t.Helper()
	sshKeygen(t)
	p := filepath.Join(dir, name)
	args := []string{"-q", "-t", typ, "-N", "", "-C", name, "-f", p}
	if typ == "rsa" {
		args = append(args, "-b", "2048")
	}
	out, err := exec.Command("ssh-keygen", args...).CombinedOutput()
	require.NoError(t, err, "ssh-keygen: %s", out)
	pem, err := os.ReadFile(p)
	require.NoError(t, err)
	s, err := ssh.ParsePrivateKey(pem)
	require.NoError(t, err)
	return p, s
}

func sshKeygen(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		testenv.Missing(t, "ssh-keygen is not installed (apt-get install openssh-client): %v", err)
	}
}

func allowedLine(principal string, s ssh.Signer, opts string) string {
	k := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(s.PublicKey())))
	if opts != "" {
		return principal + " " + opts + " " + k + "\n"
	}
	return principal + " " + k + "\n"
}

// TestOurSignaturesVerifyWithSSHKeygen signs with Sign and verifies with
// `ssh-keygen -Y verify`, for Ed25519, ECDSA and RSA keys.
func TestOurSignaturesVerifyWithSSHKeygen(t *testing.T) {
	for _, typ := range []string{"ed25519", "ecdsa", "rsa"} {
		t.Run(typ, func(t *testing.T) {
			dir := t.TempDir()
			_, signer := keygen(t, dir, "carol", typ)
			msg := []byte("pipeline approval v1\nrun: r-1\n")
			sig, err := sshsig.Sign(signer, ns, msg)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(dir, "msg.sig"), sig, 0o600))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "allowed"), []byte(allowedLine("carol@example.com", signer, "")), 0o600))
			verify := func(message []byte, namespace string) (string, error) {
				cmd := exec.Command("ssh-keygen", "-Y", "verify", "-f", filepath.Join(dir, "allowed"),
					"-I", "carol@example.com", "-n", namespace, "-s", filepath.Join(dir, "msg.sig"))
				cmd.Stdin = bytes.NewReader(message)
				out, err := cmd.CombinedOutput()
				return string(out), err
			}
			out, err := verify(msg, ns)
			if err != nil {
				t.Fatalf("ssh-keygen -Y verify of our signature = %v (%s); want success", err, out)
			}
			if _, err := verify([]byte("tampered"), ns); err == nil {
				t.Fatalf("ssh-keygen -Y verify of a tampered message succeeded; want failure")
			}
			if _, err := verify(msg, "git"); err == nil {
				t.Fatalf("ssh-keygen -Y verify in namespace git succeeded; want failure")
			}
		})
	}
}

// TestSSHKeygenSignaturesVerify signs with `ssh-keygen -Y sign` and
// verifies with Verify and AllowedSigners.Check.
func TestSSHKeygenSignaturesVerify(t *testing.T) {
	for _, typ := range []string{"ed25519", "ecdsa", "rsa"} {
		t.Run(typ, func(t *testing.T) {
			dir := t.TempDir()
			keyPath, signer := keygen(t, dir, "dave", typ)
			msg := []byte("pipeline approval v1\nrun: r-2\n")
			msgPath := filepath.Join(dir, "payload")
			require.NoError(t, os.WriteFile(msgPath, msg, 0o600))
			out, err := exec.Command("ssh-keygen", "-Y", "sign", "-n", ns, "-f", keyPath, msgPath).CombinedOutput()
			require.NoError(t, err, "ssh-keygen -Y sign: %s", out)
			armored, err := os.ReadFile(msgPath + ".sig")
			require.NoError(t, err)

			s, err := sshsig.Verify(armored, msg, ns)
			if err != nil {
				t.Fatalf("Verify(ssh-keygen's signature) = %v; want nil", err)
			}
			if got, want := sshsig.Fingerprint(s.PublicKey), ssh.FingerprintSHA256(signer.PublicKey()); got != want {
				t.Fatalf("Verify key = %s; want %s", got, want)
			}
			allowed, err := sshsig.ParseAllowedSigners([]byte(allowedLine("dave@example.com", signer, "")))
			require.NoError(t, err)
			if err := allowed.Check("dave@example.com", ns, s.PublicKey, time.Now()); err != nil {
				t.Fatalf("Check(dave) = %v; want nil", err)
			}
			if _, err := sshsig.Verify(armored, []byte("other"), ns); !errors.Is(err, sshsig.ErrBadSignature) {
				t.Fatalf("Verify(other message) = %v; want ErrBadSignature", err)
			}
			if _, err := sshsig.Verify(armored, msg, "git"); !errors.Is(err, sshsig.ErrNamespace) {
				t.Fatalf("Verify(namespace git) = %v; want ErrNamespace", err)
			}
		})
	}
}

func TestAllowedSignersCheck(t *testing.T) {
	dir := t.TempDir()
	_, carol := keygen(t, dir, "carol", "ed25519")
	_, mallory := keygen(t, dir, "mallory", "ed25519")
	file := allowedLine("carol@example.com,*@ops.example.com", carol, "") +
		"# a comment\n\n" +
		allowedLine("old@example.com", mallory, `namespaces="git",valid-before="20200101Z"`)
	a, err := sshsig.ParseAllowedSigners([]byte(file))
	require.NoError(t, err)
	now := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name, principal, namespace string
		key                        ssh.PublicKey
		at                         time.Time
		want                       string // "" for allowed, else a substring of the error
	}{
		{"listed", "carol@example.com", ns, carol.PublicKey(), now, ""},
		{"wildcard principal", "ops@ops.example.com", ns, carol.PublicKey(), now, ""},
		{"other principal", "dave@example.com", ns, carol.PublicKey(), now, "not dave@example.com"},
		{"unknown key", "carol@example.com", ns, mallory.PublicKey(), now, "lists the key for old@example.com"},
		{"wrong namespace", "old@example.com", ns, mallory.PublicKey(), time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC), "allows namespaces git"},
		{"expired key", "old@example.com", "git", mallory.PublicKey(), now, "expired at 2020-01-01T00:00:00Z"},
	}
	for _, tc := range tests {
		err := a.Check(tc.principal, tc.namespace, tc.key, tc.at)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: Check(%q) = %v; want nil", tc.name, tc.principal, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, sshsig.ErrNotAllowed)):
			t.Errorf("%s: Check(%q) = %v; want ErrNotAllowed containing %q", tc.name, tc.principal, err, tc.want)
		}
	}
}

func TestParseAllowedSignersErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"carol@example.com\n", "line 1: no key"},
		{"carol@example.com ssh-ed25519 !!!\n", "line 1"},
		{"# c\ncarol@example.com cert-authority ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ5uNm7eF3Ux5Q2k8T1y8PWr7X0Wr5i0m6O3QyfVZ0dG\n", "line 2: cert-authority"},
		{`carol@example.com valid-before="2020" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ5uNm7eF3Ux5Q2k8T1y8PWr7X0Wr5i0m6O3QyfVZ0dG` + "\n", "valid-before"},
	} {
		if _, err := sshsig.ParseAllowedSigners([]byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseAllowedSigners(%q) = %v; want an error containing %q", tc.in, err, tc.want)
		}
	}
}

func TestParseMalformed(t *testing.T) {
	for _, in := range []string{"", "hello", "-----BEGIN SSH SIGNATURE-----\n!!!\n-----END SSH SIGNATURE-----\n",
		"-----BEGIN SSH SIGNATURE-----\naGVsbG8=\n-----END SSH SIGNATURE-----\n"} {
		if _, err := sshsig.Parse([]byte(in)); !errors.Is(err, sshsig.ErrMalformed) {
			t.Errorf("Parse(%q) = %v; want ErrMalformed", in, err)
		}
	}
}

// TestPrincipalPatternsAsSSHKeygen checks principal patterns the way
// OpenSSH's match_pattern_list reads them, against the real `ssh-keygen -Y
// verify`: a matching !negation refuses wherever it stands in the list, and
// only * and ? are special ([ and / are literal).
func TestPrincipalPatternsAsSSHKeygen(t *testing.T) {
	dir := t.TempDir()
	keyFile, carol := keygen(t, dir, "carol", "ed25519")
	msg := filepath.Join(dir, "msg")
	require.NoError(t, os.WriteFile(msg, []byte("hello\n"), 0o600))
	out, err := exec.Command("ssh-keygen", "-Y", "sign", "-n", ns, "-f", keyFile, msg).CombinedOutput()
	require.NoError(t, err, "ssh-keygen -Y sign: %s", out)
	for _, tc := range []struct {
		principals, principal string
		want                  bool
	}{
		{"*@example.com,!mallory@example.com", "mallory@example.com", false},
		{"*@example.com,!mallory@example.com", "carol@example.com", true},
		{"!mallory@example.com,*@example.com", "mallory@example.com", false},
		{"[ab]c", "ac", false},
		{"[ab]c", "[ab]c", true},
		{"*", "team/carol", true},
		{"car?l@example.com", "carol@example.com", true},
	} {
		file := filepath.Join(dir, "allowed_signers")
		line := allowedLine(tc.principals, carol, "")
		require.NoError(t, os.WriteFile(file, []byte(line), 0o600))
		cmd := exec.Command("ssh-keygen", "-Y", "verify", "-f", file, "-I", tc.principal, "-n", ns, "-s", msg+".sig")
		cmd.Stdin = bytes.NewReader([]byte("hello\n"))
		sshOK := cmd.Run() == nil
		require.Equal(t, tc.want, sshOK, "ssh-keygen on %q for %q", tc.principals, tc.principal)
		a, err := sshsig.ParseAllowedSigners([]byte(line))
		require.NoError(t, err)
		err = a.Check(tc.principal, ns, carol.PublicKey(), time.Now())
		if (err == nil) != tc.want {
			t.Errorf("principals %q, principal %q: Check = %v; ssh-keygen allowed = %v", tc.principals, tc.principal, err, tc.want)
		}
	}
}

// sha1Signature builds an SSHSIG over msg whose RSA signature uses SHA-1
// (format ssh-rsa), as old ssh-keygen versions made them.
func sha1Signature(t *testing.T, signer ssh.Signer, msg []byte) []byte {
	t.Helper()
	h := sha512.Sum512(msg)
	data := append([]byte("SSHSIG"), ssh.Marshal(struct {
		Namespace, Reserved, HashAlg string
		Hash                         []byte
	}{ns, "", "sha512", h[:]})...)
	sig, err := signer.(ssh.AlgorithmSigner).SignWithAlgorithm(rand.Reader, data, ssh.KeyAlgoRSA)
	require.NoError(t, err)
	require.Equal(t, ssh.KeyAlgoRSA, sig.Format)
	blob := append([]byte("SSHSIG"), ssh.Marshal(struct {
		Version                      uint32
		PublicKey                    []byte
		Namespace, Reserved, HashAlg string
		Signature                    []byte
	}{1, signer.PublicKey().Marshal(), ns, "", "sha512", ssh.Marshal(sig)})...)
	return []byte("-----BEGIN SSH SIGNATURE-----\n" + base64.StdEncoding.EncodeToString(blob) + "\n-----END SSH SIGNATURE-----\n")
}

// TestSHA1RSASignaturesRefused: an RSA signature with SHA-1 is refused,
// for a plain RSA key and for an RSA key wrapped in a certificate.
func TestSHA1RSASignaturesRefused(t *testing.T) {
	dir := t.TempDir()
	_, rsaKey := keygen(t, dir, "rsa", "rsa")
	_, ca := keygen(t, dir, "ca", "ed25519")
	cert := &ssh.Certificate{Key: rsaKey.PublicKey(), CertType: ssh.UserCert, KeyId: "carol",
		ValidPrincipals: []string{"carol@example.com"}, ValidBefore: ssh.CertTimeInfinity}
	require.NoError(t, cert.SignCert(rand.Reader, ca))
	certSigner, err := ssh.NewCertSigner(cert, rsaKey)
	require.NoError(t, err)
	msg := []byte("hello\n")
	for name, s := range map[string]ssh.Signer{"plain key": rsaKey, "certificate": certSigner} {
		_, err := sshsig.Verify(sha1Signature(t, s, msg), msg, ns)
		if !errors.Is(err, sshsig.ErrBadSignature) || !strings.Contains(err.Error(), "SHA-1") {
			t.Errorf("%s: Verify of an ssh-rsa (SHA-1) signature = %v; want ErrBadSignature naming SHA-1", name, err)
		}
	}
}
