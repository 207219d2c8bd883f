package cli

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/mockloop/mockloop/internal/testrun"
)

// maxBaselineFile bounds a baseline file.
const maxBaselineFile = 64 << 20

// checkBaselineFlags: --update-baseline needs --baseline, which needs a known extension.
func checkBaselineFlags(opts *testRunOptions) error {
	if opts.UpdateBaseline && opts.Baseline == "" {
		return usageErrorf("--update-baseline needs --baseline FILE")
	}
	if opts.Baseline != "" {
		if _, err := testrun.BaselineFormat(opts.Baseline); err != nil {
			return usageErrorf("--%v", err)
		}
	}
	return nil
}

// readBaseline reads --baseline before anything is sent: a file that does not exist is an
// empty baseline only when --update-baseline is to create it.
func readBaseline(opts *testRunOptions) (*testrun.Baseline, error) {
	if opts.Baseline == "" {
		return nil, nil
	}
	if opts.baselineData != nil { // mockloop demo's, named by opts.Baseline
		return testrun.ParseBaseline(opts.baselineData, opts.Baseline)
	}
	f, err := os.Open(opts.Baseline)
	if errors.Is(err, os.ErrNotExist) {
		if opts.UpdateBaseline {
			return &testrun.Baseline{Schema: testrun.BaselineSchema}, nil
		}
		return nil, usageErrorf("baseline %q: no such file (write one with --update-baseline)", opts.Baseline)
	}
	if err != nil {
		return nil, usageErrorf("baseline %q: %v", opts.Baseline, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxBaselineFile+1))
	if err != nil {
		return nil, usageErrorf("baseline %q: %v", opts.Baseline, err)
	}
	if len(data) > maxBaselineFile {
		return nil, usageErrorf("baseline %q: larger than %d MiB", opts.Baseline, maxBaselineFile>>20)
	}
	b, err := testrun.ParseBaseline(data, opts.Baseline)
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	return b, nil
}

// updateBaseline writes the baseline of this run with --update-baseline (atomically, 0600:
// it holds response values) and judges the run against it, so that the differences just
// accepted do not fail it; the report already printed says what they were against the old one.
func updateBaseline(opts *testRunOptions, old *testrun.Baseline, rep *testrun.Report) error {
	if !opts.UpdateBaseline {
		return nil
	}
	if rep.Interrupted {
		return fmt.Errorf("baseline %q not updated: the run was interrupted", opts.Baseline)
	}
	up := testrun.UpdatedBaseline(old, rep)
	format, _ := testrun.BaselineFormat(opts.Baseline)
	data, err := up.Marshal(format)
	if err != nil {
		return err
	}
	if err := writeReportFile(opts.Baseline, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
		return err
	}
	before := 0
	if old != nil {
		before = len(old.Differences)
	}
	fmt.Fprintf(opts.IO.ErrOut, "baseline %s: %d known differences (was %d; %d new accepted, %d fixed removed)\n",
		opts.Baseline, len(up.Differences), before, rep.Baseline.New, rep.Baseline.Fixed)
	testrun.ApplyBaseline(rep, up, opts.Baseline)
	return nil
}
