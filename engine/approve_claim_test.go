package engine_test

import (
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/engine"
)

// TestApproveAuditsClaimedIdentity checks that the audit event of a
// decision records who ran the command beside the claimed identity: --as
// is claimed, not verified.
func TestApproveAuditsClaimedIdentity(t *testing.T) {
	tests := []struct {
		name string
		d    engine.Decision
		want string
	}{
		{"claimed with --as", engine.Decision{Gate: "go", By: "carol@example.com", ClaimedWith: "--as",
			Invoker: "alice@example.com", Host: "ci-7"}, "by carol@example.com (claimed with --as by alice@example.com on ci-7)"},
		{"nothing said about the claim", engine.Decision{Gate: "go", By: "carol@example.com"}, "by carol@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRepo(t, nil)
			r.commit("alice@example.com", "rules", map[string]string{"pipeline.hcl": stagedProd})
			f := newFixture(t, r)
			c := ctx(t)
			res, err := f.eng.Run(c, engine.RunRequest{Config: r.load()})
			if exitCode(err) != 3 {
				t.Fatalf("Run = %v (code %d); want it waiting at prod's gate (3)", err, exitCode(err))
			}
			tt.d.RunID = res.Run.ID
			if _, err := f.eng.Approve(c, tt.d); err != nil {
				t.Fatalf("Approve: %v", err)
			}
			events, err := f.store.Audit(c, "", 0)
			if err != nil {
				t.Fatal(err)
			}
			var detail string
			for _, e := range events {
				if e.Action == "approve" {
					detail = e.Detail
				}
			}
			if !strings.Contains(detail, tt.want) {
				t.Errorf("approve audit detail = %q; want it to contain %q", detail, tt.want)
			}
		})
	}
}
