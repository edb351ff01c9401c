package plan

import (
	"io"
	"strings"
)

// JSONMatrixValue is one key of a matrix combination.
type JSONMatrixValue struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// jsonOrigin returns the matrix values and the template chain of a step.
func jsonOrigin(s *StepNode) ([]JSONMatrixValue, []string) {
	if s.Def == nil {
		return nil, nil
	}
	var m []JSONMatrixValue
	for _, mv := range s.Def.Matrix {
		m = append(m, JSONMatrixValue{Key: mv.Key, Value: mv.Value})
	}
	return m, s.Def.Extends
}

// writeStepOrigin writes where a step's attributes come from: its matrix
// combination and the templates it extends.
func writeStepOrigin(w io.Writer, s *StepNode) {
	if s.Def == nil {
		return
	}
	if len(s.Def.Matrix) > 0 {
		parts := make([]string, len(s.Def.Matrix))
		for i, mv := range s.Def.Matrix {
			parts[i] = mv.Key + "=" + mv.Value
		}
		field(w, "matrix", strings.Join(parts, ", ")+"  (step "+s.Def.Block+")")
	}
	if t := runsOnText(s); t != "" {
		field(w, "runs", t)
	}
	if len(s.Def.Extends) > 0 {
		chain := make([]string, len(s.Def.Extends))
		for i, t := range s.Def.Extends {
			chain[i] = "template." + t
		}
		field(w, "extends", strings.Join(chain, " -> "))
	}
}
