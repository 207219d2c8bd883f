package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mockloop/mockloop/internal/iostreams"
	"github.com/mockloop/mockloop/internal/mock"
	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/problem"
	"github.com/mockloop/mockloop/internal/spec"
	"github.com/mockloop/mockloop/internal/stack"
)

type pluginValidateOptions struct {
	IO        *iostreams.IOStreams
	Load      spec.Options
	Store     *plugin.Store
	LookupEnv func(string) (string, bool)
	Name      string
	Spec      string
	Overlays  []string
	Output    string
}

func newPluginValidateCmd(f *Factory, runF func(*pluginValidateOptions) error) *cobra.Command {
	opts := &pluginValidateOptions{}
	cmd := &cobra.Command{
		Use:   "validate NAME | --spec S",
		Short: "Validate a plugin and its spec strictly",
		Long: `Validate a plugin (its mode, target, auth, endpoints and route rules) and its spec, or only
a spec with --spec. Spec validation is strict: besides what stops loading, it reports what
serve tolerates with a warning, such as examples that do not match their schemas.

The plugin is also built as serve would build it, without running: every route condition is
compiled (a bad one is reported with the rule's index, the expression and the position), each
proxy_url template's {name}s must be parameters of its endpoint's path, TLS files must be
usable, and an oauth2 auth must have a token URL (its token_url, or the spec's OAuth2 security
scheme's tokenUrl) to refresh with; when it has none, a note says so.

Exit status: 0 when everything is valid, 1 when the report lists problems, 2 when the plugin
or the spec cannot be loaded at all, or the plugin cannot be built (the report is printed).`,
		Example: `$ mockloop plugin validate demo
$ mockloop plugin validate --spec ./petstore.yaml
$ mockloop plugin validate --spec https://petstore3.swagger.io/api/v3/openapi.json -o json`,
		Args:              cobra.RangeArgs(0, 1),
		ValidArgsFunction: completePlugins(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO = f.IOStreams
			opts.Load = f.LoadOptions()
			opts.Store = f.PluginStore()
			opts.LookupEnv = f.LookupEnv
			if len(args) == 1 {
				opts.Name = args[0]
			}
			if (opts.Name == "") == (opts.Spec == "") {
				return usageErrorf("plugin validate needs a plugin NAME or --spec, not both")
			}
			if opts.Name != "" {
				if err := plugin.ValidName(opts.Name); err != nil {
					return usageErrorf("%v", err)
				}
			}
			if err := checkOutput(opts.Output, "text", "json"); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runPluginValidate(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Spec, "spec", "", "validate this OpenAPI document (file, - for stdin, or http(s) URL) instead of a plugin")
	addOverlayFlag(cmd, &opts.Overlays)
	addOutputFlag(cmd, &opts.Output, "text", "json")
	return cmd
}

// validateReport is what plugin validate prints.
type validateReport struct {
	Plugin         string         `json:"plugin,omitempty"`
	PluginProblems []problem.Item `json:"plugin_problems,omitempty"`
	// PluginNotes are what a user should know that does not stop the plugin (an oauth2
	// access token that cannot be refreshed).
	PluginNotes []problem.Item `json:"plugin_notes,omitempty"`
	Spec        string         `json:"spec"`
	SpecVersion string         `json:"spec_version"`
	Title       string         `json:"title"`
	Operations  int            `json:"operations"`
	Valid       bool           `json:"valid"`
	Problems    []problem.Item `json:"problems"` // strict validation, load warnings included
	// MockNotes are what the mock cannot honour in this spec (headers it never sends, bodies
	// no answer can be held to, request parts no validator can check): not problems of the
	// spec, but worth knowing (docs/mock-data.md).
	MockNotes []problem.Item `json:"mock_notes,omitempty"`
}

func runPluginValidate(ctx context.Context, opts *pluginValidateOptions) error {
	rep := validateReport{Spec: opts.Spec, Problems: []problem.Item{}}
	var p *plugin.Plugin
	var filter spec.Filter
	if opts.Name != "" {
		var err error
		if p, err = opts.Store.Get(opts.Name); err != nil {
			return err
		}
		rep.Plugin = p.Name
		rep.Spec = p.Spec
		if err := p.Validate(); err != nil {
			var ve *plugin.ValidationError
			if !errors.As(err, &ve) {
				return err
			}
			rep.PluginProblems = ve.Problems
		}
		// The operations filter's grammar is spec's, so plugin cannot check it.
		if f, err := spec.ParseFilter(p.Operations); err != nil {
			rep.PluginProblems = append(rep.PluginProblems, problem.Item{Location: "operations", Message: err.Error()})
		} else {
			filter = f
		}
	}
	load, err := stack.LoadOptions(withOverlays(opts.Load, opts.Overlays), p)
	if err != nil {
		return usageErrorf("%v", err)
	}
	doc, err := spec.Load(ctx, rep.Spec, load)
	if err != nil {
		return err
	}
	rep.SpecVersion = doc.SourceVersion
	rep.Title = doc.Title()
	rep.Operations = len(doc.Operations)
	if !filter.Empty() && len(filter.Select(doc)) == 0 {
		rep.PluginProblems = append(rep.PluginProblems, problem.Item{Location: "operations", Message: fmt.Sprintf("no operation of the spec matches %s", filter)})
	}
	rep.Problems = append(rep.Problems, doc.Validate(ctx)...)
	rep.MockNotes = mock.New(doc, mock.Options{}).Warnings(ctx)
	var unbuildable bool
	if p != nil {
		probs, notes := stack.Check(p, doc, opts.LookupEnv)
		rep.PluginProblems = append(rep.PluginProblems, probs...)
		rep.PluginNotes = notes
		unbuildable = len(probs) > 0
	}
	rep.Valid = len(rep.Problems) == 0 && len(rep.PluginProblems) == 0
	if opts.Output == "json" {
		err = writeJSON(opts.IO.Out, rep)
	} else {
		err = printValidateReport(opts.IO.Out, rep)
	}
	if err != nil {
		return err
	}
	if unbuildable {
		return &ExitError{Code: ExitTrouble, Err: fmt.Errorf("plugin %s cannot be built: see the report", rep.Plugin)}
	}
	if !rep.Valid {
		return ErrFound
	}
	return nil
}

func printValidateReport(w io.Writer, r validateReport) error {
	var b strings.Builder
	if r.Plugin != "" {
		if len(r.PluginProblems) == 0 {
			fmt.Fprintf(&b, "plugin %s: valid\n", r.Plugin)
		} else {
			fmt.Fprintf(&b, "plugin %s: %s\n", r.Plugin, pluralize(len(r.PluginProblems), "problem"))
			for _, p := range r.PluginProblems {
				fmt.Fprintf(&b, "  %s\n", p)
			}
		}
		for _, n := range r.PluginNotes {
			fmt.Fprintf(&b, "  note: %s\n", n)
		}
	}
	version := "OpenAPI " + r.SpecVersion
	if strings.HasPrefix(r.SpecVersion, "2.") {
		version = "Swagger " + r.SpecVersion
	}
	status := "valid"
	if len(r.Problems) > 0 {
		status = pluralize(len(r.Problems), "problem")
	}
	fmt.Fprintf(&b, "spec %s (%s, %s, %s): %s\n", r.Spec, r.Title, version, pluralize(r.Operations, "operation"), status)
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "  %s\n", p)
	}
	for _, n := range r.MockNotes {
		fmt.Fprintf(&b, "  mock note: %s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// pluralize is "1 problem", "2 problems".
func pluralize(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
