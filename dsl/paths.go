package dsl

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Paths a config names (workdir, artifact paths, image contexts and
// dockerfiles) are checked here as far as they are known at load time:
// without resolving symbolic links, a path must be relative and must not
// climb out of the repository with "..". The engine resolves the links
// when it uses the path (see dsl/confine); validate catches what it can
// without touching the files.

// pathProblem returns a Detail-ready reason why p, relative to the
// pipeline directory, leaves the repository (within is the pipeline
// directory relative to the repository root, "." for the root), or "".
func pathProblem(p, within string) string {
	if p == "" {
		return ""
	}
	if filepath.IsAbs(p) || strings.HasPrefix(p, "/") || strings.HasPrefix(p, `\`) || (len(p) > 1 && p[1] == ':') {
		return "is an absolute path; paths are relative to the pipeline directory"
	}
	if within == "" {
		within = "."
	}
	joined := path.Join(filepath.ToSlash(within), filepath.ToSlash(p))
	if joined == ".." || strings.HasPrefix(joined, "../") {
		return "climbs out of the repository with \"..\""
	}
	return ""
}

// checkStepPaths reports a known workdir that is absolute or leaves the
// workspace (the pipeline directory, which is what a step sees), and a
// known image that is empty.
func (l *loader) checkStepPaths(st *Step, sv *StepValues) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if sv.Workdir != nil && sv.Workdir.Known && st.Workdir != nil {
		w := sv.Workdir.Value
		if w != "" && (!filepath.IsLocal(filepath.FromSlash(w)) || strings.HasPrefix(w, "/")) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Workdir Outside Workspace",
				Detail: fmt.Sprintf("Step %q has workdir %q, which is not below the workspace (the pipeline directory). "+
					"Use a relative path without \"..\", for example \"src/app\".", st.Name, w),
				Subject: st.Workdir.Range().Ptr(),
			})
		}
	}
	if st.Runner != "local" && st.Image != nil && sv.Image.Known && strings.TrimSpace(sv.Image.Value) == "" {
		// An unset image falls back to the pipeline's; "Missing Step
		// Image" covers a pipeline without one.
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Empty Step Image",
			Detail: fmt.Sprintf("Step %q runs in a container but its image is empty. Name an image, for example image = \"alpine:3.20\", "+
				"or remove the attribute to use the pipeline's image.", st.Name),
			Subject: st.Image.Range().Ptr(),
		})
	}
	return diags
}

// checkPackagePath reports a known artifact path, image context or
// dockerfile that leaves the repository.
func (l *loader) checkPackagePath(expr hcl.Expression, t Text, what string) hcl.Diagnostics {
	if expr == nil || !t.Known {
		return nil
	}
	if problem := pathProblem(t.Value, l.opts.Within); problem != "" {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Path Outside Repository",
			Detail: fmt.Sprintf("The %s, %q, %s. Files a config names are read from the repository only: use a path inside it.",
				what, t.Value, problem),
			Subject: expr.Range().Ptr(),
		}}
	}
	return nil
}
