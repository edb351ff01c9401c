package dsl

import (
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipeline-cd/pipeline/dsl/confine"
)

// readConfigFile reads the pipeline file name from fsys: a regular file of
// at most confine.MaxConfigSize bytes. Anything else (a link leaving the
// repository, a FIFO, a device, a directory, a larger file, an unreadable
// file) is a diagnostic at the start of the file that names the problem
// and never shows what the file holds.
func readConfigFile(fsys fs.FS, name, full string) ([]byte, *hcl.Diagnostic) {
	rng := hcl.Range{Filename: full, Start: hcl.InitialPos, End: hcl.InitialPos}
	diag := func(summary, detail string) *hcl.Diagnostic {
		return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: rng.Ptr()}
	}
	f, err := fsys.Open(name)
	if err != nil {
		return nil, readProblem(diag, full, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, readProblem(diag, full, err)
	}
	if !st.Mode().IsRegular() {
		return nil, diag("Pipeline File Not a Regular File",
			fmt.Sprintf("%q is %s, not a regular file, so it is not read. Commit the pipeline file itself, not a link to a device, a FIFO or a directory.", full, confine.Kind(st.Mode())))
	}
	if st.Size() > confine.MaxConfigSize {
		return nil, tooLarge(diag, full)
	}
	b, err := io.ReadAll(io.LimitReader(f, confine.MaxConfigSize+1))
	if err != nil {
		return nil, readProblem(diag, full, err)
	}
	if len(b) > confine.MaxConfigSize {
		return nil, tooLarge(diag, full)
	}
	return b, nil
}

func tooLarge(diag func(string, string) *hcl.Diagnostic, full string) *hcl.Diagnostic {
	return diag("Pipeline File Too Large",
		fmt.Sprintf("%q is larger than %s, the largest pipeline file that is read. Split it into several *.pipeline.hcl files, or move data out of it.",
			full, confine.Size(confine.MaxConfigSize)))
}

func readProblem(diag func(string, string) *hcl.Diagnostic, full string, err error) *hcl.Diagnostic {
	switch {
	case errors.Is(err, confine.ErrOutside):
		return diag("Pipeline File Outside Repository",
			fmt.Sprintf("%q is a symbolic link whose target is outside the repository, so it is not read. Pipeline files must be files of the repository; replace the link with the file itself.", full))
	case errors.Is(err, confine.ErrNotRegular):
		return diag("Pipeline File Not a Regular File",
			fmt.Sprintf("%q is not read: %s. Commit the pipeline file itself, not a link to a device, a FIFO or a directory.", full, errorKind(err)))
	case errors.Is(err, confine.ErrTooLarge):
		return tooLarge(diag, full)
	default:
		return diag("Cannot Read Pipeline File",
			fmt.Sprintf("The file %q could not be read (%s). Check that it exists and is readable.", full, errorKind(err)))
	}
}

// errorKind describes err without the path it carries.
func errorKind(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
