// Package sshsig signs and verifies messages in OpenSSH's signature format
// (PROTOCOL.sshsig), the format `ssh-keygen -Y sign` writes and
// `ssh-keygen -Y verify` reads, and parses OpenSSH allowed_signers files.
//
// It builds on golang.org/x/crypto/ssh for keys and signatures and does no
// I/O of its own.
package sshsig

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"strings"

	"golang.org/x/crypto/ssh"
)

const (
	magic       = "SSHSIG"
	sigVersion  = 1
	armorBegin  = "-----BEGIN SSH SIGNATURE-----"
	armorEnd    = "-----END SSH SIGNATURE-----"
	armorWidth  = 70
	defaultHash = "sha512"
)

var (
	// ErrMalformed reports a signature that is not an armored SSHSIG blob.
	ErrMalformed = errors.New("not an SSH signature")
	// ErrNamespace reports a signature made for another namespace.
	ErrNamespace = errors.New("signature namespace mismatch")
	// ErrBadSignature reports a signature that does not verify over the
	// message with its public key.
	ErrBadSignature = errors.New("signature does not verify")
)

// Signature is a parsed SSHSIG blob.
type Signature struct {
	PublicKey ssh.PublicKey
	Namespace string
	HashAlg   string
	Sig       *ssh.Signature
}

// wireSig is the SSHSIG blob after the 6-byte magic preamble.
type wireSig struct {
	Version   uint32
	PublicKey []byte
	Namespace string
	Reserved  string
	HashAlg   string
	Signature []byte
}

// signedData is what the key signs: the preamble, the namespace, the hash
// algorithm and the hash of the message.
type signedData struct {
	Namespace string
	Reserved  string
	HashAlg   string
	Hash      []byte
}

func hasher(alg string) (hash.Hash, error) {
	switch alg {
	case "sha256":
		return sha256.New(), nil
	case "sha512":
		return sha512.New(), nil
	}
	return nil, fmt.Errorf("%w: unsupported hash algorithm %q", ErrMalformed, alg)
}

func toSign(namespace, hashAlg string, message []byte) ([]byte, error) {
	h, err := hasher(hashAlg)
	if err != nil {
		return nil, err
	}
	h.Write(message)
	return append([]byte(magic), ssh.Marshal(signedData{Namespace: namespace, HashAlg: hashAlg, Hash: h.Sum(nil)})...), nil
}

// Sign signs message for namespace with signer and returns the armored
// signature, as `ssh-keygen -Y sign -n NAMESPACE` does (SHA-512; RSA keys
// sign with rsa-sha2-512).
func Sign(signer ssh.Signer, namespace string, message []byte) ([]byte, error) {
	if namespace == "" {
		return nil, errors.New("sshsig: empty namespace")
	}
	data, err := toSign(namespace, defaultHash, message)
	if err != nil {
		return nil, err
	}
	var sig *ssh.Signature
	if as, ok := signer.(ssh.AlgorithmSigner); ok && signer.PublicKey().Type() == ssh.KeyAlgoRSA {
		sig, err = as.SignWithAlgorithm(rand.Reader, data, ssh.KeyAlgoRSASHA512)
	} else {
		sig, err = signer.Sign(rand.Reader, data)
	}
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	blob := append([]byte(magic), ssh.Marshal(wireSig{
		Version:   sigVersion,
		PublicKey: signer.PublicKey().Marshal(),
		Namespace: namespace,
		HashAlg:   defaultHash,
		Signature: ssh.Marshal(sig),
	})...)
	return armor(blob), nil
}

func armor(blob []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(blob)
	var b bytes.Buffer
	b.WriteString(armorBegin + "\n")
	for len(enc) > armorWidth {
		b.WriteString(enc[:armorWidth] + "\n")
		enc = enc[armorWidth:]
	}
	b.WriteString(enc + "\n" + armorEnd + "\n")
	return b.Bytes()
}

// Parse reads an armored signature.
func Parse(armored []byte) (*Signature, error) {
	text := strings.TrimSpace(string(armored))
	if !strings.HasPrefix(text, armorBegin) || !strings.HasSuffix(text, armorEnd) {
		return nil, fmt.Errorf("%w: it must start with %q and end with %q", ErrMalformed, armorBegin, armorEnd)
	}
	body := strings.Join(strings.Fields(text[len(armorBegin):len(text)-len(armorEnd)]), "")
	blob, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if !bytes.HasPrefix(blob, []byte(magic)) {
		return nil, fmt.Errorf("%w: missing the SSHSIG preamble", ErrMalformed)
	}
	var w wireSig
	if err := ssh.Unmarshal(blob[len(magic):], &w); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if w.Version != sigVersion {
		return nil, fmt.Errorf("%w: version %d (want %d)", ErrMalformed, w.Version, sigVersion)
	}
	pub, err := ssh.ParsePublicKey(w.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("%w: public key: %v", ErrMalformed, err)
	}
	sig := new(ssh.Signature)
	if err := ssh.Unmarshal(w.Signature, sig); err != nil {
		return nil, fmt.Errorf("%w: signature: %v", ErrMalformed, err)
	}
	if _, err := hasher(w.HashAlg); err != nil {
		return nil, err
	}
	return &Signature{PublicKey: pub, Namespace: w.Namespace, HashAlg: w.HashAlg, Sig: sig}, nil
}

// Verify parses armored and checks that it signs message in namespace. It
// returns the signature, whose PublicKey the caller must still match
// against the signers it trusts (see AllowedSigners.Check).
func Verify(armored, message []byte, namespace string) (*Signature, error) {
	s, err := Parse(armored)
	if err != nil {
		return nil, err
	}
	if s.Namespace != namespace {
		return nil, fmt.Errorf("%w: signed for namespace %q, want %q", ErrNamespace, s.Namespace, namespace)
	}
	if f := s.Sig.Format; f == ssh.KeyAlgoRSA || f == ssh.CertAlgoRSAv01 { // SHA-1, whatever the key's wrapping
		return nil, fmt.Errorf("%w: RSA signatures with SHA-1 (ssh-rsa) are not accepted", ErrBadSignature)
	}
	data, err := toSign(s.Namespace, s.HashAlg, message)
	if err != nil {
		return nil, err
	}
	if err := s.PublicKey.Verify(data, s.Sig); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	return s, nil
}

// Fingerprint is the key's SHA256 fingerprint as ssh-keygen -l prints it.
func Fingerprint(k ssh.PublicKey) string { return ssh.FingerprintSHA256(k) }
