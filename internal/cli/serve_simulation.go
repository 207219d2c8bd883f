package cli

import (
	"github.com/spf13/cobra"

	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/stack"
)

// serveSimulation turns serve's simulation flags into stack.Simulation: the flags given
// replace the plugin's values; the others leave them.
func serveSimulation(cmd *cobra.Command, opts *serveOptions) (*stack.Simulation, error) {
	sim := &stack.Simulation{StatefulSeed: opts.StatefulSeed}
	changed := cmd.Flags().Changed
	if changed("latency") {
		l, err := plugin.ParseLatency(opts.Latency)
		if err != nil {
			return nil, usageErrorf("--latency: %v", err)
		}
		if msgs := l.Check(); len(msgs) > 0 {
			return nil, usageErrorf("--latency %s: %s", opts.Latency, msgs[0])
		}
		sim.Latency = &l
	}
	if changed("fault-rate") {
		f, err := plugin.ParseFault(opts.FaultRate)
		if err != nil {
			return nil, usageErrorf("--fault-rate: %v", err)
		}
		sim.Fault = &f
	}
	if changed("seed") {
		sim.Seed = &opts.Seed
	}
	if changed("stateful") {
		sim.Stateful = &opts.Stateful
	}
	return sim, nil
}

// Drain tells the current stack's simulation that the server is shutting down (see
// server.Server.Drain).
func (rl *reloader) Drain() {
	if st := rl.current.Load(); st != nil {
		st.Drain()
	}
}
