package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/mockloop/mockloop/internal/iostreams"
	"github.com/mockloop/mockloop/internal/redact"
	"github.com/mockloop/mockloop/internal/testrun"
)

// waitOptions are the inputs of `mockloop wait`.
type waitOptions struct {
	IO       *iostreams.IOStreams
	Client   *http.Client
	URL      string
	Timeout  time.Duration
	Interval time.Duration
}

func newWaitCmd(f *Factory) *cobra.Command {
	opts := &waitOptions{}
	cmd := &cobra.Command{
		Use:   "wait URL",
		Short: "Wait until a URL answers 2xx (a server has started)",
		Long: `Poll URL with GET until it answers a 2xx status, then exit 0; exit 2 when --timeout passes
first, with the last answer or error on stderr. Meant for scripts and CI steps that start
'mockloop serve' in the background (its /__mockloop/health answers any client), and for the
container image's HEALTHCHECK.`,
		Example: `  $ mockloop serve --spec api.yaml &
  $ mockloop wait http://127.0.0.1:8000/__mockloop/health --timeout 30s
  $ mockloop test run --server http://127.0.0.1:8000`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO, opts.Client, opts.URL = f.IOStreams, f.HTTPClient, args[0]
			if _, err := testrun.ParseBaseURL(opts.URL); err != nil {
				return usageErrorf("%v", err)
			}
			if opts.Timeout <= 0 || opts.Interval <= 0 {
				return usageErrorf("--timeout and --interval must be positive")
			}
			return runWait(cmd.Context(), opts)
		},
	}
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", 30*time.Second, "how long to wait")
	cmd.Flags().DurationVar(&opts.Interval, "interval", 200*time.Millisecond, "time between attempts")
	return cmd
}

func runWait(ctx context.Context, opts *waitOptions) error {
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	client := opts.Client
	if client == nil {
		client = http.DefaultClient
	}
	var last error
	for {
		last = probe(ctx, client, opts.URL, opts.Interval)
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait %s: no 2xx answer within %s: %w", redact.URL(opts.URL), opts.Timeout, last)
		case <-time.After(opts.Interval):
		}
	}
}

// probe makes one attempt, bounded by the interval (at least a second) so a stalled server does
// not hold the wait past its timeout.
func probe(ctx context.Context, client *http.Client, url string, interval time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, max(interval, time.Second))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue interface{ Unwrap() error }
		if errors.As(err, &ue) && ue.Unwrap() != nil {
			err = ue.Unwrap() // the URL is in the message already
		}
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("answered %s", resp.Status)
	}
	return nil
}
