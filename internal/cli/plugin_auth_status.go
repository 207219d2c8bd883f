package cli

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/mockloop/mockloop/internal/iostreams"
	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/spec"
	"github.com/mockloop/mockloop/internal/upstream"
)

// authStatusTimeout bounds the oauth2 token request of auth-status.
const authStatusTimeout = 15 * time.Second

type pluginAuthStatusOptions struct {
	IO         *iostreams.IOStreams
	Store      *plugin.Store
	LookupEnv  func(string) (string, bool)
	HTTPClient *http.Client
	Name       string
	Output     string
	Refresh    bool
}

func newPluginAuthStatusCmd(f *Factory, runF func(*pluginAuthStatusOptions) error) *cobra.Command {
	opts := &pluginAuthStatusOptions{}
	cmd := &cobra.Command{
		Use:   "auth-status NAME",
		Short: "Check a plugin's credentials without printing them",
		Long: `Say what auth a plugin configures and where it goes (header, query or cookie), and whether each
credential resolves (a literal, an ${ENV} reference whose variable is set, or a ${file:PATH}
reference whose file can be read). Secret values are never printed.

For oauth2 it says whether the access token can be refreshed, with which grant and at which
token URL: the plugin's token_url, else the tokenUrl of the spec's OAuth2 security scheme (the
spec is loaded for that), and if not, why. With client credentials it makes one real token
request. A refresh_token grant is tried only with --refresh, because servers that rotate refresh
tokens invalidate the old one on use.

Exit status 0 when everything resolves (and the token request succeeds), 1 when something does
not (or the plugin has a refresh_token or client credentials it cannot use for want of a token
URL), 2 when the plugin cannot be read.`,
		Example: `$ mockloop plugin auth-status github
$ mockloop plugin auth-status github --refresh -o json`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completePlugins(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO = f.IOStreams
			opts.Store = f.PluginStore()
			opts.LookupEnv = f.LookupEnv
			opts.HTTPClient = f.HTTPClient
			opts.Name = args[0]
			if err := plugin.ValidName(opts.Name); err != nil {
				return usageErrorf("%v", err)
			}
			if err := checkOutput(opts.Output, "text", "json"); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runPluginAuthStatus(cmd.Context(), opts)
		},
	}
	addOutputFlag(cmd, &opts.Output, "text", "json")
	cmd.Flags().BoolVar(&opts.Refresh, "refresh", false, "oauth2: try the refresh_token grant (spends the refresh token where the server rotates it)")
	return cmd
}

// authStatusReport is the JSON output of auth-status.
type authStatusReport struct {
	Plugin string `json:"plugin"`
	OK     bool   `json:"ok"`
	// SpecProblem says why the spec (where a token URL may come from) could not be read.
	SpecProblem string `json:"spec_problem,omitempty"`
	upstream.AuthStatus
}

func runPluginAuthStatus(ctx context.Context, opts *pluginAuthStatusOptions) error {
	p, err := opts.Store.Get(opts.Name)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, authStatusTimeout)
	defer cancel()
	inspect := upstream.InspectOptions{Target: p.TargetURL, Refresh: opts.Refresh, Client: opts.HTTPClient}
	var specProblem string
	if p.Auth != nil && p.Auth.AuthType == plugin.AuthOAuth2 && p.Auth.Credentials["token_url"] == "" {
		// The token URL may be the spec's: its OAuth2 security scheme's tokenUrl.
		doc, err := spec.Load(ctx, p.Spec, spec.Options{Client: opts.HTTPClient})
		if err != nil {
			specProblem = err.Error()
		} else {
			inspect.Flows = doc.OAuth2Flows()
		}
	}
	st := upstream.InspectAuth(ctx, p.Auth, opts.LookupEnv, inspect)
	rep := authStatusReport{Plugin: p.Name, OK: st.OK(), SpecProblem: specProblem, AuthStatus: st}
	if opts.Output == "json" {
		if err := writeJSON(opts.IO.Out, rep); err != nil {
			return err
		}
	} else if err := writeAuthStatusText(opts.IO, rep); err != nil {
		return err
	}
	if !rep.OK {
		return ErrFound
	}
	return nil
}

func writeAuthStatusText(ios *iostreams.IOStreams, rep authStatusReport) error {
	tw := tabwriter.NewWriter(ios.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "plugin:\t%s\n", rep.Plugin)
	if rep.Type == "" {
		fmt.Fprintf(tw, "auth:\tnone\n")
		return tw.Flush()
	}
	fmt.Fprintf(tw, "auth:\t%s\n", rep.Type)
	fmt.Fprintf(tw, "sent in:\t%s\n", rep.Where)
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(rep.Secrets) > 0 {
		fmt.Fprintln(ios.Out, "credentials:")
		tw = tabwriter.NewWriter(ios.Out, 0, 4, 2, ' ', 0)
		for _, s := range rep.Secrets {
			source := "literal"
			refs := make([]string, 0, len(s.Vars)+len(s.Files))
			for _, v := range s.Vars {
				refs = append(refs, "${"+v+"}")
			}
			for _, f := range s.Files {
				refs = append(refs, "${file:"+f+"}")
			}
			if len(refs) > 0 {
				source = strings.Join(refs, " ")
			}
			state := "ok"
			if s.Source != "literal" {
				state = "resolves"
			}
			if !s.Resolved {
				state = "error: " + s.Error
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", s.Key, source, state)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if rep.Problem != "" {
		fmt.Fprintf(ios.Out, "problem: %s\n", rep.Problem)
	}
	if rep.SpecProblem != "" {
		fmt.Fprintf(ios.Out, "spec:    not read (%s)\n", rep.SpecProblem)
	}
	if r := rep.Refresh; r != nil {
		if r.Possible {
			fmt.Fprintf(ios.Out, "refresh: possible: %s grant at %s (%s)\n", r.Grant, r.TokenURL, r.From)
		} else {
			fmt.Fprintf(ios.Out, "refresh: impossible: %s\n", r.Problem)
		}
	}
	switch {
	case rep.Token != nil && rep.Token.OK:
		fmt.Fprintln(ios.Out, "token:   ok (a token request succeeded)")
	case rep.Token != nil:
		fmt.Fprintf(ios.Out, "token:   error: %s\n", rep.Token.Error)
	case rep.TokenSkipped != "":
		fmt.Fprintf(ios.Out, "token:   not requested (%s)\n", rep.TokenSkipped)
	}
	return nil
}
