package cli

import (
	"context"
	"fmt"
	"net"
	"os"

	"github.com/mockloop/mockloop/internal/demo"
)

// demoLiveAddr is where serve --demo-live listens unless told otherwise: beside the mock's
// default 127.0.0.1:8000.
const demoLiveAddr = "127.0.0.1:9000"

// runDemoLive serves the demo's live bookshop: what the quick start compares the mock with.
func runDemoLive(ctx context.Context, opts *serveOptions) error {
	addr := demoLiveAddr
	if opts.Flags.Addr != nil {
		addr = *opts.Flags.Addr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("serve --demo-live: listen on %s: %w", addr, err)
	}
	if opts.ReadyFile != "" {
		if err := writeReadyFile(opts.ReadyFile, ln.Addr().String()); err != nil {
			ln.Close()
			return err
		}
		defer os.Remove(opts.ReadyFile)
	}
	fmt.Fprintf(opts.IO.ErrOut, "listening on http://%s (the demo's live bookshop: the embedded example API as a live server answers it, drifting from its spec)\n", ln.Addr())
	return serveUntilDone(ctx, ln, nil, demo.NewLive(), func() {}, opts.IO.ErrOut, opts.ShutdownTimeout, opts.ReadTimeout)
}
