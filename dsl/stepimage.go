package dsl

import (
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

var stepImageBlockSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "context", Required: true},
		{Name: "dockerfile"},
		{Name: "args"},
	},
}

// decodeStepImageBlock decodes a top-level image block: a step image built
// from the repository. Its attributes must be known at load time, so that
// plan, diff and the digest of the image do not depend on a run.
func (l *loader) decodeStepImageBlock(b *hcl.Block) (*StepImage, hcl.Diagnostics) {
	img := &StepImage{Name: b.Labels[0], Dockerfile: "Dockerfile", DeclRange: b.DefRange}
	diags := checkName("image", b)
	content, d := b.Body.Content(stepImageBlockSchema)
	diags = append(diags, d...)
	if a, ok := content.Attributes["context"]; ok {
		d := l.staticString(a, &img.Context)
		diags = append(diags, d...)
		if !d.HasErrors() {
			diags = append(diags, relativePath(a, "context", img.Context, "the image's build context, such as \"ci\" or \".\"")...)
		}
	}
	if a, ok := content.Attributes["dockerfile"]; ok {
		d := l.staticString(a, &img.Dockerfile)
		diags = append(diags, d...)
		if !d.HasErrors() {
			diags = append(diags, relativePath(a, "dockerfile", img.Dockerfile, "the Dockerfile inside the context, such as \"go.Dockerfile\"")...)
		}
	}
	if !diags.HasErrors() && l.fsys != nil {
		df := path.Join(img.Context, img.Dockerfile)
		if _, err := fs.Stat(l.fsys, df); err != nil {
			subject := b.DefRange
			if a, ok := content.Attributes["dockerfile"]; ok {
				subject = a.Expr.Range()
			} else if a, ok := content.Attributes["context"]; ok {
				subject = a.Expr.Range()
			}
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Missing Dockerfile",
				Detail: fmt.Sprintf("Image %q is built from %s, which does not exist in the pipeline directory. Write that Dockerfile (a step image needs no registry: FROM an image already in the Docker engine, or FROM scratch with files from the context), or fix context and dockerfile.",
					img.Name, df),
				Subject: subject.Ptr(),
			})
		}
	}
	if a, ok := content.Attributes["args"]; ok {
		v, d := l.evalStatic(a, cty.Map(cty.String))
		diags = append(diags, d...)
		if !v.IsNull() {
			img.Args = map[string]string{}
			for k, ev := range v.AsValueMap() {
				if ev.IsNull() {
					diags = append(diags, &hcl.Diagnostic{
						Severity: hcl.DiagError,
						Summary:  "Null Value",
						Detail:   fmt.Sprintf("The build arg %q is null. Give it a string value or remove it.", k),
						Subject:  a.Expr.Range().Ptr(),
					})
					continue
				}
				img.Args[k] = ev.AsString()
			}
		}
	}
	return img, diags
}

// relativePath reports a path attribute that is absolute, empty or leaves
// the pipeline directory with "..".
func relativePath(a *hcl.Attribute, attr, p, example string) hcl.Diagnostics {
	clean := path.Clean(p)
	if p != "" && !path.IsAbs(p) && clean != ".." && !strings.HasPrefix(clean, "../") {
		return nil
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Invalid Path",
		Detail: fmt.Sprintf("%s = %q must be a path relative to the pipeline directory that stays inside it: %s. Absolute paths and \"..\" that leave the directory are not allowed.",
			attr, p, example),
		Subject: a.Expr.Range().Ptr(),
	}}
}

// imageRefOf returns NAME when expr is exactly the reference image.NAME,
// with the reference's range; otherwise "".
func imageRefOf(expr hcl.Expression) (string, hcl.Range) {
	tr, diags := hcl.AbsTraversalForExpr(expr)
	if diags.HasErrors() || len(tr) != 2 || tr.RootName() != "image" {
		return "", hcl.Range{}
	}
	name, ok := traversalStep(tr[1])
	if !ok {
		return "", hcl.Range{}
	}
	return name, tr.SourceRange()
}

// resolveImageRef checks that image = image.NAME names a declared image
// block and that a local step does not ask for one.
func (l *loader) resolveImageRef(s *Stage, st *Step) hcl.Diagnostics {
	if s.Kind == KindEnvironment && len(st.Inputs) > 0 {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Inputs in an Environment Step",
			Detail:   fmt.Sprintf("Step %q of %s declares inputs, but environment steps deploy and always run; they are never reused. Remove inputs and outputs, or move the step into a build, test or package stage.", st.Name, s.Address()),
			Subject:  st.DeclRange.Ptr(),
		}}
	}
	if st.ImageRef == "" {
		return nil
	}
	if st.Runner == "local" {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Image on a Local Step",
			Detail:   fmt.Sprintf("Step %q of %s runs on the host (runner = \"local\"), so it cannot use image.%s. Remove the image or the runner attribute.", st.Name, s.Address(), st.ImageRef),
			Subject:  st.ImageRefRange.Ptr(),
		}}
	}
	if l.cfg.StepImages[st.ImageRef] == nil {
		return hcl.Diagnostics{undeclared("Image", "image."+st.ImageRef, st.ImageRef, keysOf(l.cfg.StepImages), st.ImageRefRange,
			fmt.Sprintf("Declare it at the top level with image %q { context = \"...\" } (a Dockerfile in the repository), or fix the name.", st.ImageRef))}
	}
	return nil
}
