package e2e

import (
	"bytes"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pipeline-cd/pipeline/engine/state/sqlite"
	"github.com/pipeline-cd/pipeline/engine/view"
	"github.com/pipeline-cd/pipeline/internal/testenv"
)

const signedConfig = `
pipeline "svc" {
  version = "3.0.${git.commit_count}"
  image   = "busybox"
}

build "app" {
  step "compile" { run = "mkdir -p dist && echo ${git.short_sha} > dist/app" }
}

package "app" {
  artifact "bin" { path = "dist/app" }
}

group "release-managers" {
  members         = ["carol@example.com", "old@example.com"]
  allowed_signers = file("ci/allowed_signers")
}

environment "production" {
  gate "go-live" {
    approvers = ["group:release-managers"]
    signed    = true
  }
  step "rollout" { run = "echo deployed ${release.version}" }
}
`

// sshKeys makes ed25519 key pairs with the real ssh-keygen in dir and
// returns the private key paths by name.
func sshKeys(t *testing.T, dir string, names ...string) map[string]string {
	t.Helper()
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		testenv.Missing(t, "ssh-keygen is not installed (apt-get install openssh-client): %v", err)
	}
	out := map[string]string{}
	for _, n := range names {
		p := filepath.Join(dir, n)
		if b, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", n, "-f", p).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, b)
		}
		out[n] = p
	}
	return out
}

func pubKey(t *testing.T, priv string) string {
	t.Helper()
	b, err := os.ReadFile(priv + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b))
	return f[0] + " " + f[1]
}

// sshSign signs file with ssh-keygen -Y sign in namespace and returns the
// signature file.
func sshSign(t *testing.T, key, namespace, file string) string {
	t.Helper()
	_ = os.Remove(file + ".sig")
	if b, err := exec.Command("ssh-keygen", "-Y", "sign", "-n", namespace, "-f", key, file).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -Y sign: %v\n%s", err, b)
	}
	return file + ".sig"
}

// TestSignedApprovals drives a gate with signed = true through every
// refusal case (unsigned, a key not in allowed_signers, an expired key, a
// wrong namespace, a forged signature, a signature over another release)
// and two accepted approvals (one signed by ssh-keygen on "another
// machine", one with --sign), then checks the audit: refusals are audited,
// audit --verify passes, ssh-keygen -Y verify accepts the stored
// signatures, and a tampered stored payload fails audit --verify.
func TestSignedApprovals(t *testing.T) {
	r := newRepo(t)
	keys := sshKeys(t, t.TempDir(), "carol", "old", "mallory")
	allowed := "carol@example.com " + pubKey(t, keys["carol"]) + "\n" +
		`old@example.com valid-before="20200101Z" ` + pubKey(t, keys["old"]) + "\n"
	r.commit("signed gate", map[string]string{"pipeline.hcl": signedConfig, "ci/allowed_signers": allowed})
	run1 := runID(t, r.must(3, nil, "run", "--runner", "local", "--plain").stdout)
	r.commit("second", map[string]string{"README": "two"})
	run2 := runID(t, r.must(3, nil, "run", "--runner", "local", "--plain").stdout)
	work := t.TempDir()

	payload := func(run, as string) string {
		t.Helper()
		p := filepath.Join(work, run+"-"+strings.Split(as, "@")[0]+".txt")
		res := r.must(0, nil, "approve", run, "go-live", "--as", as, "--print-payload")
		if err := os.WriteFile(p, []byte(res.stdout), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	refused := func(name, want string, args ...string) {
		t.Helper()
		res := r.pipeline(nil, args...)
		if res.code != 1 || !strings.Contains(res.stderr, want) {
			t.Errorf("%s: pipeline %s exited %d with %q; want 1 with %q", name, strings.Join(args, " "), res.code, res.stderr, want)
		}
	}

	refused("unsigned", "requires a signed approval", "approve", run1, "go-live", "--as", "carol@example.com")
	refused("key not allowed", "no allowed_signers entry has key", "approve", run1, "go-live", "--as", "carol@example.com", "--sign", keys["mallory"])
	refused("not an approver", "not an approver", "approve", run1, "go-live", "--as", "mallory@example.com", "--sign", keys["mallory"])
	refused("expired key", "the key expired at 2020-01-01T00:00:00Z", "approve", run1, "go-live", "--as", "old@example.com", "--sign", keys["old"])

	p := payload(run1, "carol@example.com")
	refused("wrong namespace", "namespace", "approve", run1, "go-live", "--as", "carol@example.com",
		"--payload", p, "--signature", sshSign(t, keys["carol"], "git", p))

	sig := sshSign(t, keys["carol"], "pipeline-approval", p)
	forged := filepath.Join(work, "forged.txt")
	text, _ := os.ReadFile(p)
	if err := os.WriteFile(forged, bytes.Replace(text, []byte("approver: carol@example.com"), []byte("approver: old@example.com"), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	refused("forged", "does not verify", "approve", run1, "go-live", "--as", "old@example.com", "--payload", forged, "--signature", sig)

	// A signature over run 2's release presented for run 1.
	other := payload(run2, "carol@example.com")
	otherText, _ := os.ReadFile(other)
	if err := os.WriteFile(other, bytes.Replace(otherText, []byte("run: "+run2), []byte("run: "+run1), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	refused("other release", "release digest", "approve", run1, "go-live", "--as", "carol@example.com",
		"--payload", other, "--signature", sshSign(t, keys["carol"], "pipeline-approval", other))

	// Accepted: signed elsewhere with ssh-keygen, and signed here with --sign.
	r.must(0, nil, "approve", run1, "go-live", "--as", "carol@example.com", "--payload", p, "--signature", sig)
	r.must(0, nil, "approve", run2, "go-live", "--as", "carol@example.com", "--sign", keys["carol"], "--comment", "signed here")
	// No payload is printed for a gate that is no longer waiting.
	if res := r.pipeline(nil, "approve", run1, "go-live", "--as", "carol@example.com", "--print-payload"); res.code != 2 || !strings.Contains(res.stderr, "is approved") || res.stdout != "" {
		t.Errorf("--print-payload of an approved gate exited %d with %q, stdout %q; want 2 saying it is approved", res.code, res.stderr, res.stdout)
	}
	if res := r.must(0, nil, "resume", run2, "--runner", "local", "--plain"); !strings.Contains(res.stdout, "deployed 3.0.2") {
		t.Errorf("resume %s did not deploy 3.0.2:\n%s", run2, res.stdout)
	}

	audit := decode[view.Audit](t, r.must(0, nil, "audit", "--json").stdout)
	var refusals, signed int
	for _, ev := range audit.Events {
		switch {
		case ev.Action == "approve_refused":
			refusals++
		case ev.Action == "approve" && ev.Signature != nil:
			signed++
			// The stored signature verifies with the real ssh-keygen.
			dir := t.TempDir()
			write := func(name, s string) string {
				f := filepath.Join(dir, name)
				if err := os.WriteFile(f, []byte(s), 0o600); err != nil {
					t.Fatal(err)
				}
				return f
			}
			cmd := exec.Command("ssh-keygen", "-Y", "verify", "-f", write("allowed", allowed), "-I", ev.Actor,
				"-n", "pipeline-approval", "-s", write("sig", ev.Signature.Armored))
			cmd.Stdin = strings.NewReader(ev.Signature.Payload)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("ssh-keygen -Y verify of the stored signature of seq %d: %v\n%s", ev.Seq, err, b)
			}
		}
	}
	if refusals != 7 || signed != 2 {
		t.Errorf("audit has %d approve_refused and %d signed approve events; want 7 and 2", refusals, signed)
	}
	if res := r.must(0, nil, "audit", "--verify"); !strings.Contains(res.stdout, "2 signed events checked, 0 failed") {
		t.Errorf("audit --verify:\n%s", res.stdout)
	}

	// Tamper with a stored payload: audit --verify must notice.
	db, err := sql.Open("sqlite", sqlite.DSN(filepath.Join(r.dir, ".pipeline", "state.db")))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE audit SET signed_payload = replace(signed_payload, 'carol@', 'dave@') WHERE run_id = ?`, run2); err != nil {
		t.Fatal(err)
	}
	res := r.must(1, nil, "audit", "--verify")
	if !strings.Contains(res.stdout, "FAILED") || !strings.Contains(res.stdout, "2 signed events checked, 1 failed") {
		t.Errorf("audit --verify after tampering:\n%s", res.stdout)
	}
}

// TestSignWithAgent signs an approval with a key held by a real ssh-agent.
func TestSignWithAgent(t *testing.T) {
	if _, err := exec.LookPath("ssh-agent"); err != nil {
		testenv.Missing(t, "ssh-agent is not installed (apt-get install openssh-client): %v", err)
	}
	r := newRepo(t)
	keys := sshKeys(t, t.TempDir(), "carol")
	r.commit("signed gate", map[string]string{"pipeline.hcl": signedConfig,
		"ci/allowed_signers": "carol@example.com " + pubKey(t, keys["carol"]) + "\n"})
	id := runID(t, r.must(3, nil, "run", "--runner", "local", "--plain").stdout)

	sock := filepath.Join(t.TempDir(), "agent.sock")
	agent := exec.Command("ssh-agent", "-D", "-a", sock)
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = agent.Process.Kill(); _ = agent.Wait() })
	r.waitForSocket(sock)
	add := exec.Command("ssh-add", keys["carol"])
	add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
	if b, err := add.CombinedOutput(); err != nil {
		t.Fatalf("ssh-add: %v\n%s", err, b)
	}
	env := []string{"SSH_AUTH_SOCK=" + sock}
	if res := r.pipeline(nil, "approve", id, "go-live", "--as", "carol@example.com", "--sign", "agent"); res.code != 2 || !strings.Contains(res.stderr, "SSH_AUTH_SOCK is not set") {
		t.Errorf("--sign agent without an agent exited %d with %q; want 2 naming SSH_AUTH_SOCK", res.code, res.stderr)
	}
	r.must(0, env, "approve", id, "go-live", "--as", "carol@example.com", "--sign", keys["carol"]+".pub")
	r.must(0, nil, "resume", id, "--runner", "local", "--plain")
	if res := r.must(0, nil, "audit", "--verify"); !strings.Contains(res.stdout, "1 signed events checked, 0 failed") {
		t.Errorf("audit --verify:\n%s", res.stdout)
	}
}

func (r *repo) waitForSocket(path string) {
	r.t.Helper()
	for range 500 {
		if _, err := os.Stat(path); err == nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.t.Fatalf("ssh-agent socket %s did not appear", path)
}
