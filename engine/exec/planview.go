package exec

import (
	"strings"

	"github.com/pipeline-cd/pipeline/engine/dag"
	"github.com/pipeline-cd/pipeline/engine/plan"
)

// graphOf returns the plan's DAG; its vertices are *plan.Node.
func graphOf(p *plan.Plan) *dag.Graph { return p.Graph }

// nodeOf returns the plan node with the given ID, or nil.
func nodeOf(p *plan.Plan, id string) *plan.Node { return p.Node(id) }

// shown reports whether a node appears in the output, the store and the
// summary: stage nodes only mark the end of a stage and do no work.
func shown(n *plan.Node) bool { return n.Kind != plan.KindStage }

// secretEnv is the environment variable through which a step receives the
// secret block called name: the variable the secret is read from on the
// host (secret "x" { env = "DEPLOY_TOKEN" }), or the upper-cased name.
func secretEnv(p *plan.Plan, name string) string {
	if p.Config != nil {
		if s := p.Config.Secrets[name]; s != nil && s.Env != "" {
			return s.Env
		}
	}
	return strings.ToUpper(name)
}
