package dsl

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/hashicorp/hcl/v2"
)

// decodeStepFiles decodes the attributes that say which files a step reads
// and writes and where it runs: inputs, outputs, caches, user and
// workspace. Each is static (known at load time), so that plan, dry run
// and the reuse key agree.
func (l *loader) decodeStepFiles(attrs hcl.Attributes, st *Step) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if a, ok := attrs["inputs"]; ok {
		st.Inputs, diags = l.globs(a, diags)
		if len(st.Inputs) == 0 && !diags.HasErrors() {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Empty Inputs",
				Detail:   "inputs = [] makes the step reusable without reading any file, so a change to the code would never run it again. List the files the step reads, such as [\"go.mod\", \"**/*.go\"], or remove the attribute to run the step every time.",
				Subject:  a.Expr.Range().Ptr(),
			})
		}
	}
	if a, ok := attrs["outputs"]; ok {
		st.Outputs, diags = l.globs(a, diags)
	}
	if a, ok := attrs["caches"]; ok {
		diags = append(diags, l.caches(a, st)...)
	}
	if a, ok := attrs["user"]; ok {
		d := l.staticString(a, &st.User)
		diags = append(diags, d...)
		if !d.HasErrors() && !userPattern.MatchString(st.User) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid User",
				Detail:   fmt.Sprintf("user = %q is not a user. Write a uid, a uid:gid or a user name known to the image, such as \"1000:1000\", \"0\" (root) or \"nobody\".", st.User),
				Subject:  a.Expr.Range().Ptr(),
			})
		}
	}
	if a, ok := attrs["workspace"]; ok {
		var mount bool
		d := l.staticBool(a, &mount)
		diags = append(diags, d...)
		st.NoWorkspace = !d.HasErrors() && !mount
		if st.NoWorkspace && len(st.Outputs) > 0 {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Outputs Without Workspace",
				Detail:   "A step with workspace = false cannot write outputs: they are files of the workspace, which is not mounted. Remove outputs, or remove workspace = false.",
				Subject:  attrs["outputs"].NameRange.Ptr(),
			})
		}
	}
	if st.Runner == "local" {
		for _, name := range []string{"user", "workspace"} {
			if a, ok := attrs[name]; ok {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Attribute Not for Local Steps",
					Detail:   fmt.Sprintf("Step %q runs on the host (runner = \"local\"), as the user running pipeline, in the pipeline directory; %s applies to container steps only. Remove it.", st.Name, name),
					Subject:  a.NameRange.Ptr(),
				})
			}
		}
	}
	return diags
}

var userPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?$`)

// globs evaluates a list of file globs relative to the pipeline directory.
func (l *loader) globs(a *hcl.Attribute, diags hcl.Diagnostics) ([]string, hcl.Diagnostics) {
	list, ranges, d := l.staticStrings(a)
	diags = append(diags, d...)
	var out []string
	for i, g := range list {
		if problem := globProblem(g); problem != "" {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid File Pattern",
				Detail:   fmt.Sprintf("%s: %q %s. Write a pattern relative to the pipeline directory, such as \"go.sum\", \"src/*.c\" or \"**/*.go\" (** matches any number of directories).", a.Name, g, problem),
				Subject:  ranges[i].Ptr(),
			})
			continue
		}
		out = append(out, g)
	}
	return out, diags
}

// globProblem returns why g is not a valid relative file pattern, or "".
func globProblem(g string) string {
	switch {
	case strings.TrimSpace(g) == "":
		return "is empty"
	case path.IsAbs(g):
		return "is absolute"
	case g == ".." || strings.HasPrefix(g, "../") || strings.Contains(g, "/../") || strings.HasSuffix(g, "/.."):
		return "leaves the pipeline directory with \"..\""
	case !doublestar.ValidatePattern(g):
		return "is not a valid pattern (an unclosed [ or {, or a trailing \\)"
	}
	return ""
}

// caches evaluates the absolute container paths kept in named volumes.
func (l *loader) caches(a *hcl.Attribute, st *Step) hcl.Diagnostics {
	list, ranges, diags := l.staticStrings(a)
	seen := map[string]bool{}
	for i, c := range list {
		problem := ""
		switch {
		case !path.IsAbs(c):
			problem = "is not an absolute path inside the container, such as \"/root/go/pkg/mod\""
		case path.Clean(c) != c:
			problem = fmt.Sprintf("is not a clean path; write %q", path.Clean(c))
		case c == "/":
			problem = "is the root of the container"
		case c == "/workspace" || strings.HasPrefix(c, "/workspace/"):
			problem = "is inside /workspace, where the pipeline directory is mounted; a cache there would hide or mix with the sources"
		case seen[c]:
			problem = "is listed twice"
		}
		if problem != "" {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid Cache Path",
				Detail:   fmt.Sprintf("caches: %q %s. A cache is a directory of the container kept between runs in a named Docker volume; give its absolute path.", c, problem),
				Subject:  ranges[i].Ptr(),
			})
			continue
		}
		seen[c] = true
		st.Caches = append(st.Caches, c)
	}
	return diags
}
