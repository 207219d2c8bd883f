package stack

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/mockloop/mockloop/internal/override"
	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/problem"
	"github.com/mockloop/mockloop/internal/server"
	"github.com/mockloop/mockloop/internal/simulate"
	"github.com/mockloop/mockloop/internal/state"
)

// Simulation turns on what serve simulates: latency and faults (the plugin's `simulation:`,
// and Prefer: delay / fault on any request), runtime overrides (the plugin's `overrides:` and
// /__mockloop/overrides), and stateful resources (the plugin's `stateful:`). Its fields are
// what the serve flags say over the plugin; nil fields leave the plugin's value.
type Simulation struct {
	// Latency replaces the plugin's simulation.latency (--latency).
	Latency *plugin.Latency
	// Fault replaces the plugin's simulation.fault (--fault-rate).
	Fault *plugin.Fault
	// Seed fixes the simulation's draws and the stateful ids (--seed); nil draws at random
	// (the stateful ids then use seed 0: they are repeatable anyway).
	Seed *uint64
	// Stateful turns the stateful resources on or off (--stateful); nil: the plugin's.
	Stateful *bool
	// StatefulSeed starts the stateful resources from the spec's examples (--stateful-seed,
	// which turns them on).
	StatefulSeed bool
}

// buildSimulation builds the simulation step, the overrides and, when on, the stateful
// resources, and plugs them into cfg: the step first (its latency is around everything), the
// overrides then the state before any other answerer.
func (st *Stack) buildSimulation(p *plugin.Plugin, sim Simulation, cfg *server.Config) error {
	if p == nil {
		p = &plugin.Plugin{}
	}
	where := func(err error) error {
		if p.Name != "" {
			return fmt.Errorf("plugin %s: %w", p.Name, err)
		}
		return err
	}
	so := simulate.Options{Latency: sim.Latency, Fault: sim.Fault}
	if ps := p.Simulation; ps != nil {
		so.Rules = ps.Rules
		if so.Latency == nil {
			so.Latency = ps.Latency
		}
		if so.Fault == nil {
			so.Fault = ps.Fault
		}
	}
	var seed uint64
	if sim.Seed != nil {
		seed = *sim.Seed
		so.Seed, so.Seeded = seed, true
	}
	s, err := simulate.New(so)
	if err != nil {
		return where(err)
	}
	st.Simulator = s

	st.Overrides = override.New(st.Doc, st.Mock)
	for _, id := range slices.Sorted(maps.Keys(p.Overrides)) {
		if _, err := st.Overrides.Set(id, p.Overrides[id]); err != nil {
			return where(fmt.Errorf("overrides.%s: %w", id, err))
		}
	}
	answerers := []server.Answerer{st.Overrides}
	admin := []server.AdminRoute{s.Admin(), st.Overrides.Admin()}

	var stateful plugin.Stateful
	if p.Stateful != nil {
		stateful = *p.Stateful
	}
	if sim.Stateful != nil {
		stateful.Enabled = *sim.Stateful
	}
	if sim.StatefulSeed {
		stateful.Enabled, stateful.SeedExamples = true, true
	}
	if stateful.Enabled {
		st.State = state.New(st.Doc, st.Mock, state.Options{MaxResources: stateful.MaxResources, Seed: seed, SeedExamples: stateful.SeedExamples})
		answerers = append(answerers, st.State)
		admin = append(admin, st.State.Admin())
	}
	cfg.Steps = append([]server.Step{s}, cfg.Steps...)
	cfg.Answerers = append(answerers, cfg.Answerers...)
	cfg.Admin = append(cfg.Admin, admin...)
	return nil
}

// ErrNoOverrides is returned by SetOverride and DeleteOverride on a stack built without
// Options.Simulation.
var ErrNoOverrides = errors.New("this stack has no runtime overrides (it was built without simulation)")

// SetOverride sets the override of an operation (by operationId or "METHOD /template"), as
// PUT /__mockloop/overrides/{operationId} does; the warnings say what of it violates the spec.
func (st *Stack) SetOverride(operation string, o plugin.Override) ([]problem.Item, error) {
	if st.Overrides == nil {
		return nil, ErrNoOverrides
	}
	return st.Overrides.Set(operation, o)
}

// DeleteOverride removes the override of an operation, or every override when operation is
// "", and returns how many it removed.
func (st *Stack) DeleteOverride(operation string) (int, error) {
	if st.Overrides == nil {
		return 0, ErrNoOverrides
	}
	if operation == "" {
		return st.Overrides.Clear(), nil
	}
	if err := st.Overrides.Delete(operation); err != nil {
		return 0, err
	}
	return 1, nil
}

// Drain lets the requests the simulation holds go (the server is shutting down).
func (st *Stack) Drain() {
	if st.Handler != nil {
		st.Handler.Drain()
	}
}
