package stack

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/problem"
	"github.com/mockloop/mockloop/internal/route"
	"github.com/mockloop/mockloop/internal/spec"
	"github.com/mockloop/mockloop/internal/upstream"
)

// Check finds, without running anything, what would stop p from being built into a stack or
// make it fail at its first request: each route rule compiled (a condition that does not
// compile is reported with the rule's index, the expression and the position), endpoint
// paths, TLS files, the recordings of the replay directory, and whether an oauth2 auth can
// obtain tokens (with doc, the spec, whose OAuth2 security schemes may give the token URL,
// and which the recordings' operations are checked against; nil skips both). Problems stop the plugin;
// notes are what a user should know (an access token that cannot be refreshed). Locations
// are the plugin file's keys, as plugin.Validate writes them. lookup resolves ${ENV}
// references in TLS settings (a variable that is not set is not checked).
func Check(p *plugin.Plugin, doc *spec.Document, lookup func(string) (string, bool)) (problems, notes []problem.Item) {
	add := func(list *[]problem.Item, where, format string, args ...any) {
		*list = append(*list, problem.Item{Location: where, Message: fmt.Sprintf(format, args...)})
	}
	for i, r := range p.RouteRules {
		where := fmt.Sprintf("route_rules[%d]", i)
		if strings.TrimSpace(r.Condition) != "" {
			if _, err := route.CompileCondition(r.Condition); err != nil {
				add(&problems, where, "condition %q: %v", r.Condition, err)
			}
		}
		// The mode, method, priority and split are plugin.Validate's; the glob syntax is not.
		if strings.HasPrefix(r.Pattern, "/") {
			if _, err := route.CompilePattern(r.Pattern); err != nil {
				add(&problems, where, "pattern: %v", err)
			}
		}
	}
	for i, e := range p.Endpoints {
		if _, err := route.CompilePattern(e.Path); err != nil {
			add(&problems, fmt.Sprintf("endpoints[%d]", i), "path: %v", err)
		}
		if _, err := upstream.CheckTLS(e.TLS, lookup); err != nil {
			add(&problems, fmt.Sprintf("endpoints[%d]", i), "tls: %v", err)
		}
	}
	if _, err := upstream.CheckTLS(p.TLS, lookup); err != nil {
		add(&problems, "tls", "%v", err)
	}
	checkReplay(p, doc, &problems, &notes)
	if a := p.Auth; a != nil && a.AuthType == plugin.AuthOAuth2 && doc != nil {
		var target *url.URL
		if p.TargetURL != "" {
			target, _ = url.Parse(p.TargetURL)
		}
		rs := upstream.OAuth2Refresh(a, doc.OAuth2Flows(), target)
		switch {
		case rs.Possible:
		case strings.TrimSpace(a.Credentials["access_token"]) == "":
			add(&problems, "auth", "oauth2 cannot obtain an access token: %s", rs.Problem)
		default:
			add(&notes, "auth", "the oauth2 access token cannot be refreshed: %s", rs.Problem)
		}
	}
	return problems, notes
}

// Refuse is Check for the commands that write a plugin (plugin create, MCP's
// create_mcp_plugin), so that both refuse the same plugins with the same words: nil when
// nothing stops p, else one error listing every problem in order, `invalid plugin "NAME":
// where: message; ...`. ${ENV} references are not resolved: the variables belong to the runs.
// The notes are returned either way.
func Refuse(p *plugin.Plugin, doc *spec.Document) ([]problem.Item, error) {
	probs, notes := Check(p, doc, func(string) (string, bool) { return "", false })
	if len(probs) == 0 {
		return notes, nil
	}
	parts := make([]string, len(probs))
	for i, pr := range probs {
		parts[i] = pr.String()
	}
	return notes, fmt.Errorf("invalid plugin %q: %s", p.Name, strings.Join(parts, "; "))
}
