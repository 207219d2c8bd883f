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
}

func newPluginAuthStatusCmd(f *Factory, runF func(*pluginAuthStatusOptions) error) *cobra.Command {
	opts := &pluginAuthStatusOptions{}
	cmd := &cobra.Command{
		Use:   "auth-status NAME",
		Short: "Check a plugin's credentials without printing them",
		Long: `Say what auth a plugin configures and where it goes (header, query or cookie), whether each
credential resolves (a literal, an ${ENV} reference whose variable is set, or a ${file:PATH}
reference whose file can be read), and for oauth2
whether a token can be obtained: it makes one real token request to the token_url.
Secret values are never printed.

Exit status 0 when everything resolves (and the token request succeeds), 1 when something does
not, 2 when the plugin cannot be read.`,
		Example: `$ mockloop plugin auth-status github
$ mockloop plugin auth-status github -o json`,
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
	return cmd
}

// authStatusReport is the JSON output of auth-status.
type authStatusReport struct {
	Plugin string `json:"plugin"`
	OK     bool   `json:"ok"`
	upstream.AuthStatus
}

func runPluginAuthStatus(ctx context.Context, opts *pluginAuthStatusOptions) error {
	p, err := opts.Store.Get(opts.Name)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, authStatusTimeout)
	defer cancel()
	st := upstream.InspectAuth(ctx, p.Auth, opts.LookupEnv, opts.HTTPClient)
	rep := authStatusReport{Plugin: p.Name, OK: st.Problem == "" && (st.Token == nil || st.Token.OK), AuthStatus: st}
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
	if rep.Token != nil {
		if rep.Token.OK {
			fmt.Fprintln(ios.Out, "token:   ok (a token request to the token_url succeeded)")
		} else {
			fmt.Fprintf(ios.Out, "token:   error: %s\n", rep.Token.Error)
		}
	}
	return nil
}
