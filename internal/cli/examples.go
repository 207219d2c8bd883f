package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mockloop/mockloop/internal/atomicfile"
	"github.com/mockloop/mockloop/internal/examples"
	"github.com/mockloop/mockloop/internal/iostreams"
	"github.com/mockloop/mockloop/internal/mock"
	"github.com/mockloop/mockloop/internal/overlay"
	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/record"
	"github.com/mockloop/mockloop/internal/render"
	"github.com/mockloop/mockloop/internal/spec"
	"github.com/mockloop/mockloop/internal/stack"
	"github.com/mockloop/mockloop/internal/testrun"
)

// examplesAcceptOptions are the inputs of `mockloop examples accept`.
type examplesAcceptOptions struct {
	IO        *iostreams.IOStreams
	Plugins   *plugin.Store
	LookupEnv func(string) (string, bool)
	Client    *http.Client
	Load      spec.Options

	Plugin     string
	From       string
	Spec       string
	Operations []string
	Overlay    string
	Write      bool
	DryRun     bool
	Name       string
	Force      bool
	Output     string

	specGiven bool
}

func newExamplesCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "examples <command>",
		Short: "Turn recorded live answers into examples of the spec",
		Long: `Keep the mock honest: 'examples accept' turns what the live API answered (recorded with
'serve --record' or 'test run --record') into named examples of the spec's responses, after
checking each body against its schema.`,
	}
	cmd.AddCommand(newExamplesAcceptCmd(f, nil))
	return cmd
}

const examplesAcceptLong = `Accept recorded live answers as named examples of the spec.

For each recorded operation and status, the newest complete recording (never a truncated one)
becomes the example live-<status> (or --name) of the response the spec declares for that status
(the code, its range such as 2XX, or default) and media type. Each body is validated against the
response schema first: one that breaks it is refused and reported as drift, with the problems,
and the command exits 1 (--force accepts it anyway). So is an answer whose status or media type
the spec does not declare.

--from DIR reads a recordings directory (docs/recordings.md); --from REPORT.json reads the
report of 'test run --record DIR --report REPORT.json': the bodies come from its recordings,
limited to the operations and statuses the run's live side answered.

Output: by default an OpenAPI Overlay 1.0 document (overlay: 1.0.0, one action per example, each
a target JSONPath and an update), so the spec itself is not rewritten: on stdout, or into
--overlay OUT.yaml (an existing overlay there keeps its other actions; the ones this run makes
again are replaced). Serve it with 'mockloop serve --overlay OUT.yaml' (or the plugin's
overlays:) and ask for an example with "Prefer: example=live-200". --write edits the spec file in
place instead, keeping it JSON or YAML, its key order, and its comments where the YAML library
can. A media type with a single example gets it moved into examples (OpenAPI allows one or the
other). --dry-run writes nothing and prints, per operation and status, what would be added or
replaced (or -o json).

The spec is --spec (or a SPEC argument: a path, a .yaml or .json file, a URL), else the plugin's (with the plugin's overlays applied, except the --overlay
output itself), else the embedded example. Exit status: 0 all accepted, 1 some body was refused
(drift), 2 bad input.`

func newExamplesAcceptCmd(f *Factory, runF func(*examplesAcceptOptions) error) *cobra.Command {
	opts := &examplesAcceptOptions{}
	cmd := &cobra.Command{
		Use:   "accept [PLUGIN|SPEC] --from DIR|REPORT.json",
		Short: "Accept recorded live answers as named examples (an OpenAPI Overlay, or in place)",
		Long:  examplesAcceptLong,
		Example: `  $ mockloop examples accept --spec api.yaml --from recordings --overlay live-examples.yaml
  $ mockloop examples accept petstore --from report.json --dry-run
  $ mockloop examples accept --spec api.yaml --from recordings --operations getPet --write
  $ mockloop serve --spec api.yaml --overlay live-examples.yaml`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO, opts.Plugins, opts.LookupEnv, opts.Client, opts.Load = f.IOStreams, f.PluginStore(), f.LookupEnv, f.HTTPClient, f.LoadOptions()
			var err error
			if opts.Plugin, err = pluginArg(cmd, args); err != nil {
				return err
			}
			opts.specGiven = cmd.Flags().Changed("spec")
			if err := checkExamplesAccept(opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runExamplesAccept(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.From, "from", "", "a recordings directory, or the JSON report of 'test run --record'")
	fl.StringVar(&opts.Spec, "spec", "", specUsage)
	fl.StringArrayVar(&opts.Operations, "operations", nil, operationsUsage)
	fl.StringVar(&opts.Overlay, "overlay", "", "write the Overlay document to this file (default: stdout)")
	fl.BoolVar(&opts.Write, "write", false, "edit the spec file in place instead of writing an overlay")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "write nothing; print what would be added or replaced")
	fl.StringVar(&opts.Name, "name", "", "name of the examples (default: live-<status>)")
	fl.BoolVar(&opts.Force, "force", false, "accept bodies that break their schema too (still reported)")
	addOutputFlag(cmd, &opts.Output, "table", "json")
	return cmd
}

func checkExamplesAccept(opts *examplesAcceptOptions) error {
	if err := checkPluginName(opts.Plugin); err != nil {
		return err
	}
	if err := checkOutput(opts.Output, "table", "json"); err != nil {
		return err
	}
	if opts.From == "" {
		return usageErrorf("examples accept needs --from DIR (recordings) or --from REPORT.json")
	}
	if opts.Write && opts.Overlay != "" {
		return usageErrorf("--overlay and --write are two outputs: give one")
	}
	if opts.Output == "json" && !opts.DryRun && !opts.Write && opts.Overlay == "" {
		return usageErrorf("-o json prints the plan; the overlay itself goes to stdout: give --dry-run, --overlay FILE or --write")
	}
	if strings.TrimSpace(opts.Name) != opts.Name || strings.ContainsAny(opts.Name, "\n\r\t/") {
		return usageErrorf("--name %q: want a plain name such as live-ok", opts.Name)
	}
	if _, err := spec.ParseFilter(opts.Operations); err != nil {
		return usageErrorf("--operations %v", err)
	}
	return nil
}

func runExamplesAccept(ctx context.Context, opts *examplesAcceptOptions) error {
	p, err := findPlugin(opts.Plugins, opts.Plugin, opts.LookupEnv)
	if err != nil {
		return err
	}
	var flags stack.Flags
	if opts.specGiven {
		flags.Spec = &opts.Spec
	}
	set, err := stack.Resolve(p, flags, opts.LookupEnv)
	if err != nil {
		return usageErrorf("%v", err)
	}
	if opts.Write && (set.Spec == "-" || set.Spec == spec.ExampleSource || strings.HasPrefix(set.Spec, "http://") || strings.HasPrefix(set.Spec, "https://")) {
		return usageErrorf("--write edits a spec file in place: %s is not a local file (write an overlay instead)", set.Spec)
	}
	filter, _ := spec.ParseFilter(opts.Operations)
	recs, keep, err := readCandidates(opts.From)
	if err != nil {
		return err
	}
	load, err := stack.LoadOptions(opts.Load, p)
	if err != nil {
		return usageErrorf("%v", err)
	}
	load.Overlays = withoutFile(load.Overlays, opts.Overlay)
	doc, err := spec.Load(ctx, set.Spec, load)
	if err != nil {
		return err
	}
	engine := mock.New(doc, mock.Options{})
	res, err := examples.Plan(doc, engine, recs, examples.Options{Name: opts.Name, Force: opts.Force, Filter: filter, Keep: keep})
	if err != nil {
		return usageErrorf("%v", err)
	}
	if len(res.Changes) == 0 {
		return usageErrorf("no recorded answer to accept in %s%s", opts.From, filterNote(filter))
	}

	accepted := len(res.Overlay.Actions) > 0
	out, outColour := opts.IO.Out, opts.IO.ColorEnabled()
	switch {
	case opts.DryRun:
	case !accepted:
		fmt.Fprintln(opts.IO.ErrOut, "nothing accepted: nothing written")
	case opts.Write:
		if err := examples.WriteSpec(set.Spec, res.Overlay); err != nil {
			return fmt.Errorf("write %s: %w", set.Spec, err)
		}
		fmt.Fprintf(opts.IO.ErrOut, "wrote %s\n", set.Spec)
	case opts.Overlay != "":
		if err := writeOverlay(opts.Overlay, res.Overlay); err != nil {
			return err
		}
		fmt.Fprintf(opts.IO.ErrOut, "wrote %s (serve it: mockloop serve --overlay %s)\n", opts.Overlay, opts.Overlay)
	default:
		data, err := res.Overlay.Marshal()
		if err != nil {
			return err
		}
		if _, err := opts.IO.Out.Write(data); err != nil {
			return err
		}
		out, outColour = opts.IO.ErrOut, opts.IO.ErrColorEnabled()
	}
	if opts.Output == "json" {
		err = writeJSON(out, res)
	} else {
		err = render.ExamplesTable(out, res, outColour)
	}
	if err != nil {
		return err
	}
	if res.Count(examples.ActionRefused) > 0 {
		return ErrFound
	}
	return nil
}

func filterNote(f spec.Filter) string {
	if f.Empty() {
		return ""
	}
	return " for operations matching " + f.String()
}

// readCandidates reads --from: a recordings directory, or a test run report whose recordings
// it names (keep then limits the candidates to what the run's live side answered).
func readCandidates(from string) (*record.Set, func(string, int) bool, error) {
	info, err := os.Stat(from)
	if err != nil {
		return nil, nil, usageErrorf("--from: %v", err)
	}
	if info.IsDir() {
		recs, err := record.ReadDir(from)
		if err != nil {
			return nil, nil, usageErrorf("--from: %v", err)
		}
		return recs, nil, nil
	}
	data, err := os.ReadFile(from)
	if err != nil {
		return nil, nil, usageErrorf("--from: %v", err)
	}
	var rep testrun.Report
	if err := json.Unmarshal(data, &rep); err != nil || rep.Schema == "" {
		return nil, nil, usageErrorf("--from %s: not a recordings directory or a test run JSON report", from)
	}
	if rep.Recordings == "" {
		return nil, nil, usageErrorf("--from %s: the report holds no live bodies: run 'mockloop test run --record DIR --report %s' (or give --from DIR)", from, from)
	}
	dir := rep.Recordings
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(filepath.Dir(from), dir)
	}
	recs, err := record.ReadDir(dir)
	if err != nil {
		return nil, nil, usageErrorf("--from %s: %v", from, err)
	}
	answered := map[string]bool{}
	for _, c := range rep.Cases {
		if c.Live != nil && c.Live.Status != 0 {
			answered[fmt.Sprintf("%s\x00%d", c.Operation, c.Live.Status)] = true
		}
	}
	return recs, func(op string, status int) bool { return answered[fmt.Sprintf("%s\x00%d", op, status)] }, nil
}

// withoutFile is overlays without path (the output being rewritten is not applied first).
func withoutFile(overlays []string, path string) []string {
	if path == "" {
		return overlays
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return overlays
	}
	var out []string
	for _, o := range overlays {
		if a, err := filepath.Abs(o); err == nil && a == abs {
			continue
		}
		out = append(out, o)
	}
	return out
}

// writeOverlay writes o into path, merged with the overlay already there.
func writeOverlay(path string, o *overlay.Overlay) error {
	mode := os.FileMode(0o644)
	if info, err := os.Stat(path); err == nil {
		mode = info.Mode().Perm()
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		prev, err := overlay.Parse(data, path)
		if err != nil {
			return usageErrorf("--overlay %s exists and is not an overlay (%v): choose another file", path, err)
		}
		o = examples.Merge(prev, o)
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	data, err := o.Marshal()
	if err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(path, data, mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
