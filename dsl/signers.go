package dsl

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipeline-cd/pipeline/internal/sshsig"
)

// allowedSigners decodes a group's allowed_signers: OpenSSH allowed_signers
// text, checked here so that a bad key is reported at the attribute.
func (l *loader) allowedSigners(a *hcl.Attribute, g *Group) hcl.Diagnostics {
	var text string
	diags := l.staticString(a, &text)
	if diags.HasErrors() {
		return diags
	}
	signers, err := sshsig.ParseAllowedSigners([]byte(text))
	if err == nil && len(signers) == 0 {
		err = fmt.Errorf("it lists no keys")
	}
	if err != nil {
		return append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid Allowed Signers",
			Detail: fmt.Sprintf("The allowed_signers of group %q are not in OpenSSH's allowed_signers format: %v. Write one line per key, "+
				"\"carol@example.com ssh-ed25519 AAAA...\", as `ssh-keygen -Y verify -f` reads it.", g.Name, err),
			Subject: a.Expr.Range().Ptr(),
		})
	}
	g.AllowedSigners = text
	return diags
}

// signedGates checks that every gate with signed = true can be approved:
// one of its approvers must be a group that declares allowed_signers.
func signedGates(cfg *Config) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, st := range cfg.Stages {
		for _, g := range st.Gates {
			if !g.Signed {
				continue
			}
			ok := false
			for _, ap := range g.Approvers {
				if grp := cfg.Groups[strings.TrimPrefix(ap, "group:")]; strings.HasPrefix(ap, "group:") && grp != nil && grp.AllowedSigners != "" {
					ok = true
				}
			}
			if !ok {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Signed Gate Without Signers",
					Detail: fmt.Sprintf("Gate %q of environment %q sets signed = true, but none of its approvers is a group with allowed_signers, so no approval could ever count. "+
						"Add allowed_signers = file(\"ci/allowed_signers\") to an approver group, or remove signed.", g.Name, st.Name),
					Subject: g.SignedRange.Ptr(),
				})
			}
		}
	}
	return diags
}
