package sshsig

import (
	"bufio"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/ssh"
)

// ErrNotAllowed reports a signing key that no allowed_signers entry accepts
// for the principal, namespace and time.
var ErrNotAllowed = errors.New("key is not an allowed signer")

// AllowedSigner is one line of an OpenSSH allowed_signers file.
type AllowedSigner struct {
	Principals []string // patterns, as ssh's match_pattern_list (* and ?)
	Namespaces []string // empty: every namespace
	ValidAfter time.Time
	// ValidBefore is zero when the key does not expire.
	ValidBefore time.Time
	Key         ssh.PublicKey
	Line        int
}

// AllowedSigners is a parsed allowed_signers file.
type AllowedSigners []AllowedSigner

// ParseAllowedSigners parses the allowed_signers format of ssh-keygen(1):
// "PRINCIPALS [OPTIONS] KEYTYPE BASE64KEY [COMMENT]" per line, with
// namespaces="...", valid-after="..." and valid-before="..." options.
// Certificate authorities (cert-authority) are refused: approvals are
// signed with plain keys. Errors name the line.
func ParseAllowedSigners(data []byte) (AllowedSigners, error) {
	var out AllowedSigners
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		principals, rest, err := cutField(line)
		if err != nil {
			return nil, fmt.Errorf("allowed_signers line %d: %w", n, err)
		}
		key, _, options, _, err := ssh.ParseAuthorizedKey([]byte(rest))
		if err != nil {
			return nil, fmt.Errorf("allowed_signers line %d: %v", n, err)
		}
		s := AllowedSigner{Key: key, Line: n}
		for _, p := range strings.Split(principals, ",") {
			if p = strings.TrimSpace(p); p != "" {
				s.Principals = append(s.Principals, p)
			}
		}
		if len(s.Principals) == 0 {
			return nil, fmt.Errorf("allowed_signers line %d: no principals", n)
		}
		for _, o := range options {
			name, val, _ := strings.Cut(o, "=")
			val = strings.Trim(val, `"`)
			switch strings.ToLower(name) {
			case "namespaces":
				s.Namespaces = strings.Split(val, ",")
			case "valid-after":
				if s.ValidAfter, err = parseTime(val); err != nil {
					return nil, fmt.Errorf("allowed_signers line %d: valid-after: %w", n, err)
				}
			case "valid-before":
				if s.ValidBefore, err = parseTime(val); err != nil {
					return nil, fmt.Errorf("allowed_signers line %d: valid-before: %w", n, err)
				}
			case "cert-authority":
				return nil, fmt.Errorf("allowed_signers line %d: cert-authority entries are not supported; list each approver's public key", n)
			default:
				return nil, fmt.Errorf("allowed_signers line %d: unknown option %q", n, name)
			}
		}
		out = append(out, s)
	}
	return out, sc.Err()
}

// cutField splits off the first whitespace-separated field, which may be
// double-quoted.
func cutField(line string) (field, rest string, err error) {
	if strings.HasPrefix(line, `"`) {
		end := strings.Index(line[1:], `"`)
		if end < 0 {
			return "", "", errors.New("unterminated quoted principals")
		}
		return line[1 : end+1], strings.TrimSpace(line[end+2:]), nil
	}
	i := strings.IndexAny(line, " \t")
	if i < 0 {
		return "", "", errors.New("no key after the principals")
	}
	return line[:i], strings.TrimSpace(line[i:]), nil
}

// parseTime reads YYYYMMDD or YYYYMMDDHHMM[SS], with a trailing Z for UTC
// (otherwise local time), as ssh-keygen does.
func parseTime(v string) (time.Time, error) {
	loc := time.Local
	if strings.HasSuffix(v, "Z") || strings.HasSuffix(v, "z") {
		loc, v = time.UTC, v[:len(v)-1]
	}
	layouts := map[int]string{8: "20060102", 12: "200601021504", 14: "20060102150405"}
	layout, ok := layouts[len(v)]
	if !ok {
		return time.Time{}, fmt.Errorf("%q is not YYYYMMDD[HHMM[SS]][Z]", v)
	}
	return time.ParseInLocation(layout, v, loc)
}

// Check reports whether key may sign for principal in namespace at time at:
// some entry lists the key, matches the principal, allows the namespace and
// is valid at that time. The error says which condition failed.
func (a AllowedSigners) Check(principal, namespace string, key ssh.PublicKey, at time.Time) error {
	want := string(key.Marshal())
	var reasons []string
	for _, s := range a {
		if string(s.Key.Marshal()) != want {
			continue
		}
		switch {
		case !matchAny(s.Principals, principal):
			reasons = append(reasons, fmt.Sprintf("line %d lists the key for %s, not %s", s.Line, strings.Join(s.Principals, ","), principal))
		case len(s.Namespaces) > 0 && !matchAny(s.Namespaces, namespace):
			reasons = append(reasons, fmt.Sprintf("line %d allows namespaces %s, not %s", s.Line, strings.Join(s.Namespaces, ","), namespace))
		case !s.ValidAfter.IsZero() && at.Before(s.ValidAfter):
			reasons = append(reasons, fmt.Sprintf("line %d: the key is valid only after %s", s.Line, s.ValidAfter.UTC().Format(time.RFC3339)))
		case !s.ValidBefore.IsZero() && !at.Before(s.ValidBefore):
			reasons = append(reasons, fmt.Sprintf("line %d: the key expired at %s", s.Line, s.ValidBefore.UTC().Format(time.RFC3339)))
		default:
			return nil
		}
	}
	if len(reasons) == 0 {
		return fmt.Errorf("%w: no allowed_signers entry has key %s", ErrNotAllowed, Fingerprint(key))
	}
	return fmt.Errorf("%w: %s", ErrNotAllowed, strings.Join(reasons, "; "))
}

// matchAny reports whether s matches the comma-separated pattern list, as
// OpenSSH's match_pattern_list does: a matching !negated pattern refuses
// wherever it stands, else any matching pattern accepts. Only * and ? are
// special. Matching ignores case, as approver names do.
func matchAny(patterns []string, s string) bool {
	s = strings.ToLower(s)
	matched := false
	for _, p := range patterns {
		neg := strings.HasPrefix(p, "!")
		if neg {
			p = p[1:]
		}
		if matchPattern(strings.ToLower(p), s) {
			if neg {
				return false
			}
			matched = true
		}
	}
	return matched
}

// matchPattern matches s against a pattern where * matches any run of
// characters and ? any one character.
func matchPattern(p, s string) bool {
	for len(p) > 0 {
		switch p[0] {
		case '*':
			for p = p[1:]; len(p) > 0 && p[0] == '*'; p = p[1:] {
			}
			if p == "" {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if matchPattern(p, s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
			_, n := utf8.DecodeRuneInString(s)
			p, s = p[1:], s[n:]
		default:
			if s == "" || p[0] != s[0] {
				return false
			}
			p, s = p[1:], s[1:]
		}
	}
	return s == ""
}
