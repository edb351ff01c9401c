// Package outputs reads the outputs a step writes to $PIPELINE_OUTPUT and
// gives them the versioned form they are stored in.
//
// The file holds, as GitHub Actions' $GITHUB_OUTPUT does, lines
// "KEY=VALUE" and multi-line values written as
//
//	KEY<<DELIMITER
//	line one
//	line two
//	DELIMITER
//
// Empty lines between entries are ignored; a key written twice keeps its
// last value.
package outputs

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// MaxSize bounds the outputs file of one step: outputs are meant for
// short values (a digest, a version, a URL), not for files.
const MaxSize = 1 << 20

// ErrInvalid is wrapped by every error about the contents of an outputs
// file or of a stored outputs document.
var ErrInvalid = errors.New("invalid step outputs")

// Parse reads an outputs file. The error, wrapping ErrInvalid, names the
// line at fault and says how to write it.
func Parse(r io.Reader) (map[string]string, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading $PIPELINE_OUTPUT: %w", err)
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%w: $PIPELINE_OUTPUT holds more than %d bytes; write short values (a digest, a version, a path) and keep files in the workspace or as artifacts", ErrInvalid, MaxSize)
	}
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), MaxSize+1)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSuffix(sc.Text(), "\r")
		if strings.TrimSpace(text) == "" {
			continue
		}
		if key, delim, ok := strings.Cut(text, "<<"); ok && validKey(key) && (!strings.Contains(key, "=")) {
			if delim == "" {
				return nil, fmt.Errorf("%w: line %d: %q gives no delimiter after <<; write KEY<<EOF, the value's lines, then EOF alone on a line", ErrInvalid, line, text)
			}
			start := line
			var lines []string
			closed := false
			for sc.Scan() {
				line++
				l := strings.TrimSuffix(sc.Text(), "\r")
				if l == delim {
					closed = true
					break
				}
				lines = append(lines, l)
			}
			if !closed {
				return nil, fmt.Errorf("%w: line %d: the value of %s is never closed: no line holds only %q after it", ErrInvalid, start, key, delim)
			}
			out[key] = strings.Join(lines, "\n")
			continue
		}
		key, value, ok := strings.Cut(text, "=")
		if !ok || !validKey(key) {
			return nil, fmt.Errorf("%w: line %d: %q is not KEY=VALUE or KEY<<DELIMITER; a key is letters, digits, _ and -, starting with a letter or _", ErrInvalid, line, truncate(text))
		}
		out[key] = value
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return out, nil
}

func truncate(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

// validKey reports whether key can be read as step.NAME.outputs.KEY.
func validKey(key string) bool {
	if key == "" {
		return false
	}
	for i, r := range key {
		switch {
		case r == '_', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case (r >= '0' && r <= '9' || r == '-') && i > 0:
		default:
			return false
		}
	}
	return true
}

// Version is the version of the stored form Encode writes.
const Version = 1

// document is the stored form of one step's outputs.
type document struct {
	Version int `json:"version"`
	// Outputs lists the outputs sorted by key, so that equal outputs
	// encode to equal bytes.
	Outputs []entry `json:"outputs"`
}

type entry struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Encode returns the stored form of outputs (already masked by the
// caller): a JSON document with a version.
func Encode(outputs map[string]string) []byte {
	doc := document{Version: Version, Outputs: make([]entry, 0, len(outputs))}
	keys := make([]string, 0, len(outputs))
	for k := range outputs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		doc.Outputs = append(doc.Outputs, entry{Key: k, Value: outputs[k]})
	}
	b, _ := json.Marshal(doc) // strings only: cannot fail
	return b
}

// Decode reads what Encode wrote. A document of a later version is
// refused with an error wrapping ErrInvalid that says to upgrade.
func Decode(b []byte) (map[string]string, error) {
	var doc document
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%w: stored outputs are not readable: %v", ErrInvalid, err)
	}
	if doc.Version != Version {
		return nil, fmt.Errorf("%w: stored outputs have version %d; this pipeline reads version %d: use the pipeline binary that recorded the run", ErrInvalid, doc.Version, Version)
	}
	out := make(map[string]string, len(doc.Outputs))
	for _, e := range doc.Outputs {
		out[e.Key] = e.Value
	}
	return out, nil
}
