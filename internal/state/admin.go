package state

import (
	"net/http"
	"slices"
	"strings"

	"github.com/mockloop/mockloop/internal/problem"
	"github.com/mockloop/mockloop/internal/server"
)

// Report is the body of GET /__mockloop/state: every stateful collection with what it holds.
type Report struct {
	MaxResources int                `json:"max_resources"` // per collection
	Collections  []CollectionReport `json:"collections"`
}

// CollectionReport is one collection: how it was inferred, and its resources by parent scope.
type CollectionReport struct {
	Path       string        `json:"path"`           // the collection path: /pets, /users/{uid}/orders
	Item       string        `json:"item,omitempty"` // the path of one resource: /pets/{id}
	IDProperty string        `json:"id_property,omitempty"`
	IDType     string        `json:"id_type"`    // integer, uuid or string
	Operations []string      `json:"operations"` // "createPet: create", in document order
	Count      int           `json:"count"`
	Evicted    int64         `json:"evicted"` // resources dropped to keep the bound
	Scopes     []ScopeReport `json:"scopes"`
}

// ScopeReport is the resources under one parent (the parent's ids; none at the top).
type ScopeReport struct {
	Parent    []string `json:"parent,omitempty"`
	Resources []any    `json:"resources"` // oldest first
}

// ResetBody is the answer to POST /__mockloop/state/reset.
type ResetBody struct {
	Removed int `json:"removed"`
	Seeded  int `json:"seeded"` // resources from the spec's examples (with seed_examples)
}

// Status is what GET /__mockloop/status shows of the state.
type Status struct {
	Collections int   `json:"collections"`
	Resources   int   `json:"resources"`
	Evicted     int64 `json:"evicted"`
}

// Report describes every collection and its resources.
func (s *Store) Report() Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	rep := Report{MaxResources: s.opts.MaxResources, Collections: []CollectionReport{}}
	for _, c := range s.collections {
		d := s.col(c)
		cr := CollectionReport{Path: c.path, Item: c.itemPath, IDProperty: c.idProp, IDType: c.idType,
			Count: d.count, Evicted: d.evicted, Scopes: []ScopeReport{}}
		for _, b := range c.operations {
			name := b.op.ID
			if name == "" {
				name = b.op.Key()
			}
			cr.Operations = append(cr.Operations, name+": "+b.act.String())
		}
		var keys []string
		for k := range d.scopes {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			sd := d.scopes[k]
			sr := ScopeReport{Parent: sd.values, Resources: []any{}}
			for _, res := range s.list(c, sd.values) {
				sr.Resources = append(sr.Resources, c.item.ResponseView(deepCopy(res.value).(map[string]any)))
			}
			cr.Scopes = append(cr.Scopes, sr)
		}
		rep.Collections = append(rep.Collections, cr)
	}
	return rep
}

// Reset empties the collections (and seeds them again from the examples, with SeedExamples).
func (s *Store) Reset() ResetBody {
	s.mu.Lock()
	defer s.mu.Unlock()
	removed, seeded := s.reset()
	return ResetBody{Removed: removed, Seeded: seeded}
}

// Status counts the collections, their resources and the evictions.
func (s *Store) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Status{Collections: len(s.collections)}
	for _, d := range s.data {
		st.Resources += d.count
		st.Evicted += d.evicted
	}
	return st
}

// Admin is the admin endpoint GET /__mockloop/state and POST /__mockloop/state/reset, with
// the counts in GET /__mockloop/status.
func (s *Store) Admin() server.AdminRoute {
	return server.AdminRoute{
		Name:    "state",
		Methods: "GET, POST",
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rest := strings.Trim(strings.TrimPrefix(r.URL.Path, server.AdminPrefix+"state"), "/")
			switch {
			case rest == "" && r.Method == http.MethodGet:
				server.WriteJSON(w, http.StatusOK, s.Report())
			case rest == "reset" && r.Method == http.MethodPost:
				server.WriteJSON(w, http.StatusOK, s.Reset())
			default:
				problem.Write(w, problem.Details{Status: http.StatusNotFound,
					Detail: "the state admin API is GET " + server.AdminPrefix + "state and POST " + server.AdminPrefix + "state/reset"})
			}
		}),
		Status: func() any { return s.Status() },
	}
}
