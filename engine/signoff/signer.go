package signoff

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/pipeline-cd/pipeline/internal/sshsig"
)

// LoadSigner returns the key --sign names:
//   - "agent": the ssh-agent's only key (SSH_AUTH_SOCK);
//   - "agent:SHA256:..." or a public key file (KEY.pub): that key, held by
//     the ssh-agent;
//   - any other path: an unencrypted private key file.
//
// getenv reads SSH_AUTH_SOCK. The returned close function releases the
// agent connection and is never nil.
func LoadSigner(spec string, getenv func(string) string) (ssh.Signer, func(), error) {
	nop := func() {}
	switch {
	case spec == "agent" || strings.HasPrefix(spec, "agent:"):
		return agentSigner(strings.TrimPrefix(strings.TrimPrefix(spec, "agent"), ":"), getenv)
	case strings.HasSuffix(spec, ".pub"):
		data, err := os.ReadFile(spec)
		if err != nil {
			return nil, nop, fmt.Errorf("reading the public key for --sign: %w", err)
		}
		pub, _, _, _, err := ssh.ParseAuthorizedKey(data)
		if err != nil {
			return nil, nop, fmt.Errorf("--sign %s is not an SSH public key: %v", spec, err)
		}
		return agentSigner(sshsig.Fingerprint(pub), getenv)
	}
	data, err := os.ReadFile(spec)
	if err != nil {
		return nil, nop, fmt.Errorf("reading the private key for --sign: %w", err)
	}
	s, err := ssh.ParsePrivateKey(data)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		return nil, nop, fmt.Errorf("the key %s is protected by a passphrase; add it to your ssh-agent (ssh-add %s) and pass --sign %s.pub or --sign agent", spec, spec, spec)
	}
	if err != nil {
		return nil, nop, fmt.Errorf("--sign %s is not an SSH private key: %v", spec, err)
	}
	return s, nop, nil
}

func agentSigner(fingerprint string, getenv func(string) string) (ssh.Signer, func(), error) {
	nop := func() {}
	sock := getenv("SSH_AUTH_SOCK")
	if sock == "" {
		return nil, nop, errors.New("--sign agent needs a running ssh-agent, but SSH_AUTH_SOCK is not set; start one (eval \"$(ssh-agent)\"; ssh-add KEY) or pass a private key file")
	}
	conn, err := net.Dial("unix", sock)
	if err != nil {
		return nil, nop, fmt.Errorf("connecting to the ssh-agent at SSH_AUTH_SOCK=%s: %w", sock, err)
	}
	closeConn := func() { _ = conn.Close() }
	signers, err := agent.NewClient(conn).Signers()
	if err != nil {
		closeConn()
		return nil, nop, fmt.Errorf("listing the ssh-agent's keys: %w", err)
	}
	var fps []string
	for _, s := range signers {
		fp := sshsig.Fingerprint(s.PublicKey())
		if fp == fingerprint || (fingerprint == "" && len(signers) == 1) {
			return s, closeConn, nil
		}
		fps = append(fps, fp)
	}
	closeConn()
	switch {
	case len(signers) == 0:
		return nil, nop, errors.New("the ssh-agent holds no keys; add yours with ssh-add KEY")
	case fingerprint == "":
		return nil, nop, fmt.Errorf("the ssh-agent holds %d keys; choose one with --sign agent:FINGERPRINT or --sign KEY.pub (%s)", len(signers), strings.Join(fps, ", "))
	}
	return nil, nop, fmt.Errorf("the ssh-agent does not hold key %s (it holds %s); ssh-add it first", fingerprint, strings.Join(fps, ", "))
}
