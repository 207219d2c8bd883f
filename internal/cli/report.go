package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mockloop/mockloop/internal/iostreams"
	"github.com/mockloop/mockloop/internal/render"
	"github.com/mockloop/mockloop/internal/testrun"
)

func newReportCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report <command>",
		Short: "Work with test run reports",
		Long: `Test run reports are what 'mockloop test run -o json' prints and '--report FILE.json' writes
(schema "mockloop.testrun/v1"). 'report merge' joins the reports of a sharded run into one.`,
	}
	cmd.AddCommand(newReportMergeCmd(f, nil))
	return cmd
}

// reportMergeOptions are the inputs of `mockloop report merge`.
type reportMergeOptions struct {
	IO *iostreams.IOStreams

	Files              []string
	Output             string
	Report             string
	MonitorPerformance bool
	Metrics            []string
}

// maxReportFile bounds a report read by report merge.
const maxReportFile = 256 << 20

func newReportMergeCmd(f *Factory, runF func(*reportMergeOptions) error) *cobra.Command {
	opts := &reportMergeOptions{}
	cmd := &cobra.Command{
		Use:   "merge REPORT.json...",
		Short: "Merge the JSON reports of a sharded test run into one",
		Long: `Merge the JSON reports of 'test run --shard i/n' runs (the same plan split across CI jobs)
into the report one run of them all would have written: the cases in plan order, the summary
counted again, the baseline counts (known, new, fixed) added up, and the metrics merged exactly.
Latency percentiles merge exactly because every report carries each side's and operation's
latency histogram (see docs/ci.md for the bucket layout), not only its percentiles.

Every shard 1/n..n/n must be given once, in any order; the reports must be of the same spec,
plugin, mode, sides and validation. Reports of runs with no --shard are concatenated in the
order given. '-' reads one report from stdin.

Output (-o): table (as 'test run' prints it; --monitor-performance adds the metrics table), json
(the merged report, the same schema), or junit. --report FILE writes it as well: .json, .xml
(JUnit) or .html.

Exit status: 0 every case of the merged run passed, 1 a case failed, 2 a report could not be
read or the reports are not the parts of one run, or (as for 'test run') no case failed but
not everything was checked: a shard was interrupted or aborted, or cases are errors.`,
		Example: `  $ mockloop report merge shard-1.json shard-2.json shard-3.json shard-4.json
  $ mockloop report merge reports/*.json -o junit --report merged.html`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO = f.IOStreams
			opts.Files = args
			if err := checkOutput(opts.Output, "table", "json", "junit"); err != nil {
				return err
			}
			if opts.Report != "" {
				if _, err := reportFormat(opts.Report); err != nil {
					return err
				}
			}
			if n := strings.Count(strings.Join(args, "\x00")+"\x00", "-\x00"); n > 1 {
				return usageErrorf("only one report can be read from stdin ('-')")
			}
			for _, m := range opts.Metrics {
				if !slices.Contains(render.AllMetrics, m) {
					return usageErrorf("--metrics: unknown metric %q (want %s)", m, strings.Join(render.AllMetrics, ", "))
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return runReportMerge(cmd.Context(), opts)
		},
	}
	addOutputFlag(cmd, &opts.Output, "table", "json", "junit")
	cmd.Flags().StringVar(&opts.Report, "report", "", "also write the merged report to FILE: .json, .xml (JUnit) or .html")
	cmd.Flags().BoolVar(&opts.MonitorPerformance, "monitor-performance", false, "print the merged latency, throughput and error-rate metrics")
	cmd.Flags().StringSliceVar(&opts.Metrics, "metrics", render.AllMetrics, "metrics shown with --monitor-performance: "+strings.Join(render.AllMetrics, ","))
	return cmd
}

func runReportMerge(_ context.Context, opts *reportMergeOptions) error {
	reps := make([]*testrun.Report, 0, len(opts.Files))
	for _, name := range opts.Files {
		rep, err := readReport(name, opts.IO.In)
		if err != nil {
			return err
		}
		reps = append(reps, rep)
	}
	merged, err := testrun.Merge(opts.Files, reps)
	if err != nil {
		return usageErrorf("%v", err)
	}
	out := &testRunOptions{IO: opts.IO, Output: opts.Output, Report: opts.Report,
		MonitorPerformance: opts.MonitorPerformance, Metrics: opts.Metrics}
	if err := writeTestRun(out, merged); err != nil {
		return err
	}
	return testRunExit(merged)
}

// readReport reads one JSON report (unknown fields are allowed: later versions add some).
func readReport(name string, stdin io.Reader) (*testrun.Report, error) {
	data, err := iostreams.ReadInput(name, stdin, maxReportFile)
	if err != nil {
		return nil, usageErrorf("report merge: %v", err)
	}
	var rep testrun.Report
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&rep); err != nil {
		return nil, usageErrorf("read report %q: not a test run JSON report: %v", name, oneLineErr(err))
	}
	if dec.More() {
		return nil, usageErrorf("read report %q: more than one JSON value", name)
	}
	return &rep, nil
}

// oneLineErr is err's message on one line.
func oneLineErr(err error) string { return strings.Join(strings.Fields(fmt.Sprint(err)), " ") }
