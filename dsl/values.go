package dsl

// Scope holds the run-time values of the run.* and release.* namespaces.
// Empty fields evaluate as unknown values, so a config validates and plans
// before a run exists.
type Scope struct {
	// RunID is run.id; empty: unknown.
	RunID string
	// Release holds release.*; nil: every release.* value is unknown.
	Release *ReleaseValues
}

// ReleaseValues are the release.* values.
type ReleaseValues struct {
	Version string // "" while unknown (before the version is computed)
	// Artifacts maps artifact name to its path in the artifact store; nil
	// while unknown (before every package stage has succeeded).
	Artifacts map[string]string
	// Images maps image name to its image ID; nil while unknown.
	Images map[string]string
}

// Text is an evaluated string. When Known is false, Value is empty and the
// value is only known at run time; Source is then what to show the user.
type Text struct {
	Value string
	Known bool
	// Source is the expression's source text as written in the config.
	Source string
	// After names the namespace that makes it known: "package" for
	// release.artifacts and release.images, "run" for run.id and
	// release.version. Empty when Known.
	After string
}

// Display returns the value, or the source text followed by
// "(known after AFTER)" when the value is not yet known.
func (t Text) Display() string {
	if t.Known {
		return t.Value
	}
	after := t.After
	if after == "" {
		after = "run"
	}
	return t.Source + "  (known after " + after + ")"
}

// Bool is an evaluated bool (the when condition).
type Bool struct {
	Value  bool
	Known  bool
	Source string
	After  string
}

// StepValues holds a step's evaluated attributes.
type StepValues struct {
	Run     *Text  // nil when the step uses command
	Command []Text // nil when the step uses run
	Image   Text   // the step's image, or the pipeline default
	// ImageRef names the top-level image block of image = image.NAME;
	// Image is then unknown until the engine has built it.
	ImageRef string
	Env      map[string]Text
	Workdir  *Text // nil when not set
	When     Bool  // Known and true when the step has no when
}
