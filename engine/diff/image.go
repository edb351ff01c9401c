package diff

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/pipeline-cd/pipeline/internal/keys"
)

// compareStepImages compares the top-level image blocks (step images
// built from the repository) and reports a changed one as a risk: every
// step that uses it runs in another image, built from files a reviewer
// should read.
func (d *differ) compareStepImages() {
	for _, name := range keys.Union(d.base.StepImages, d.head.StepImages) {
		b, h := d.base.StepImages[name], d.head.StepImages[name]
		o := topObject(7, "image", name)
		switch {
		case b == nil:
			d.change(o, Added, "", "", path.Join(h.Context, h.Dockerfile))
		case h == nil:
			d.change(o, Removed, "", path.Join(b.Context, b.Dockerfile), "")
		default:
			before := len(d.changes)
			d.field(o, "context", b.Context, h.Context)
			d.field(o, "dockerfile", b.Dockerfile, h.Dockerfile)
			d.field(o, "args", argsText(b.Args), argsText(h.Args))
			if len(d.changes) > before {
				d.risk(o, Medium, fmt.Sprintf("Image %s is now built from %s with build args %s: the steps that use it (%s) run in another image. Review the Dockerfile and the files of its context.",
					name, path.Join(h.Context, h.Dockerfile), argsText(h.Args), d.imageUsers(name)))
			}
		}
	}
}

// imageUsers lists the head's steps that say image = image.NAME.
func (d *differ) imageUsers(name string) string {
	var users []string
	for _, s := range d.head.Stages {
		for _, st := range s.Steps {
			if st.ImageRef == name {
				users = append(users, s.Address()+"."+st.Name)
			}
		}
	}
	if len(users) == 0 {
		return "none yet"
	}
	return strings.Join(users, ", ")
}

func argsText(args map[string]string) string {
	if len(args) == 0 {
		return "(none)"
	}
	out := make([]string, 0, len(args))
	for k, v := range args {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}
