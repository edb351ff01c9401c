package plan

import "github.com/pipeline-cd/pipeline/dsl"

// markShared sets StepNode.Shared on the steps of a stage with container =
// "shared" that use the stage's image: the image most of its container
// steps use (steps with runner = "local" do not count), ties going to the
// pipeline's default image, then to the earliest step. Steps with another
// image, or run on the host, get their own container as usual.
//
// Images are compared by their value when known at plan time, otherwise by
// their source text, so image.go or "${var.img}" group as written.
func markShared(s *dsl.Stage, nodes []*Node, defaultImage string) {
	if !s.SharedContainer() {
		return
	}
	count := map[string]int{}
	var order []string
	for _, n := range nodes {
		if !inContainer(n) {
			continue
		}
		k := imageKey(n.Step.Values.Image)
		if count[k] == 0 {
			order = append(order, k)
		}
		count[k]++
	}
	best := ""
	for _, k := range order {
		if best == "" || count[k] > count[best] || (count[k] == count[best] && k == defaultImage && best != defaultImage) {
			best = k
		}
	}
	if best == "" {
		return
	}
	for _, n := range nodes {
		if inContainer(n) && imageKey(n.Step.Values.Image) == best {
			n.Step.Shared = true
		}
	}
}

// inContainer reports whether step node n runs in a container.
func inContainer(n *Node) bool {
	return n.Step != nil && n.Step.Runner != "local" && n.Step.Values != nil
}

func imageKey(t dsl.Text) string {
	if t.Known {
		return t.Value
	}
	return "\x00" + t.Display()
}
