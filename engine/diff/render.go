package diff

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// symbols mark change kinds in text output, as in a unified diff.
var symbols = map[string]string{Added: "+", Removed: "-", Changed: "~"}

// WriteText writes the report for a terminal: a heading, the risks, then one
// line per change (multi-line values indented below it).
func (r *Report) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "Pipeline %s: %s -> %s\n", orUnnamed(r.Pipeline), r.Base, r.Head)
	if r.Empty() {
		fmt.Fprintln(bw, "\nNo changes to the delivery process.")
		return bw.Flush()
	}
	if len(r.Risks) > 0 {
		fmt.Fprintf(bw, "\nRISKS (%d): this change weakens the delivery process\n", len(r.Risks))
		for _, k := range r.Risks {
			fmt.Fprintf(bw, "  ! [%s] %s: %s\n", k.Severity, k.Object, k.Message)
		}
	}
	fmt.Fprintf(bw, "\nChanges (%d):\n", len(r.Changes))
	for _, c := range r.Changes {
		line := "  " + symbols[c.Kind] + " " + c.Object
		if c.Field != "" {
			line += " " + c.Field
		}
		fmt.Fprint(bw, line)
		switch {
		case c.Kind == Changed && !multiline(c.Old) && !multiline(c.New):
			fmt.Fprintf(bw, ": %s -> %s\n", c.Old, c.New)
		case c.Kind == Changed:
			fmt.Fprintln(bw, ":")
			writeIndented(bw, "      - ", c.Old)
			writeIndented(bw, "      + ", c.New)
		case value(c) != "" && !multiline(value(c)):
			fmt.Fprintf(bw, ": %s\n", value(c))
		default:
			fmt.Fprintln(bw)
			writeIndented(bw, "      ", value(c))
		}
	}
	return bw.Flush()
}

// value is the value an added or removed object or field had.
func value(c Change) string {
	if c.Kind == Removed {
		return c.Old
	}
	return c.New
}

func multiline(s string) bool { return strings.Contains(strings.TrimRight(s, "\n"), "\n") }

func writeIndented(w io.Writer, prefix, s string) {
	if s == "" {
		return
	}
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		fmt.Fprintln(w, strings.TrimRight(prefix+l, " "))
	}
}

func orUnnamed(name string) string {
	if name == "" {
		return "(unnamed)"
	}
	return name
}

// WriteMarkdown writes the report as a pull-request comment (GitHub
// flavoured Markdown): a title, the risks first under a warning marker when
// there are any, then a table of changes. Every value is escaped, so config
// text cannot break the table or inject HTML.
func (r *Report) WriteMarkdown(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "## Pipeline diff: %s\n\n", code(orUnnamed(r.Pipeline)))
	fmt.Fprintf(bw, "Comparing %s with %s.\n\n", code(r.Base), code(r.Head))
	if r.Empty() {
		fmt.Fprintln(bw, "No changes to the delivery process.")
		return bw.Flush()
	}
	if len(r.Risks) > 0 {
		high := 0
		for _, k := range r.Risks {
			if k.Severity == High {
				high++
			}
		}
		fmt.Fprintf(bw, "### :warning: Risks (%d)\n\n", len(r.Risks))
		fmt.Fprintf(bw, "> [!WARNING]\n> This change weakens the delivery process (%d high, %d medium). Review each risk before merging.\n\n", high, len(r.Risks)-high)
		fmt.Fprintln(bw, "| Severity | Object | Risk |")
		fmt.Fprintln(bw, "| --- | --- | --- |")
		for _, k := range r.Risks {
			sev := k.Severity
			if sev == High {
				sev = "**high**"
			}
			fmt.Fprintf(bw, "| %s | %s | %s |\n", sev, code(k.Object), cell(k.Message))
		}
		fmt.Fprintln(bw)
	} else {
		fmt.Fprintln(bw, "No risks found: nothing in this change weakens the delivery process.")
		fmt.Fprintln(bw)
	}
	fmt.Fprintf(bw, "### Changes (%d)\n\n", len(r.Changes))
	if len(r.Changes) > 0 {
		fmt.Fprintln(bw, "| | Object | Field | Before | After |")
		fmt.Fprintln(bw, "| --- | --- | --- | --- | --- |")
		for _, c := range r.Changes {
			fmt.Fprintf(bw, "| %s | %s | %s | %s | %s |\n", c.Kind, code(c.Object), code(c.Field), code(c.Old), code(c.New))
		}
	}
	return bw.Flush()
}

// code renders s as inline code inside a table cell; "" stays empty. Values
// with backticks or several lines are rendered as escaped text instead,
// because a code span can hold neither safely.
func code(s string) string {
	if s == "" {
		return ""
	}
	if strings.ContainsAny(s, "`\n") {
		return cell(s)
	}
	return "`" + strings.ReplaceAll(s, "|", `\|`) + "`"
}

// cell escapes text for a table cell: HTML special characters, Markdown
// punctuation that would format, pipes, and line breaks.
func cell(s string) string {
	s = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `\`, `\\`, "|", `\|`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`).Replace(strings.TrimRight(s, "\n"))
	return strings.ReplaceAll(s, "\n", "<br>")
}

// WriteJSON writes the report as one indented JSON object with the fields
// pipeline, base, head, changes and risks (arrays, never null).
func (r *Report) WriteJSON(w io.Writer) error {
	out := *r
	if out.Changes == nil {
		out.Changes = []Change{}
	}
	if out.Risks == nil {
		out.Risks = []Risk{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
