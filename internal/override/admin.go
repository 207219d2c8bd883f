package override

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/mockloop/mockloop/internal/problem"
	"github.com/mockloop/mockloop/internal/server"
)

// maxOverrideBody bounds what PUT /__mockloop/overrides/{operationId} reads.
const maxOverrideBody = 4 << 20

// ListBody is the answer to GET /__mockloop/overrides.
type ListBody struct {
	Overrides []View `json:"overrides"`
}

// RemovedBody is the answer to DELETE: how many overrides were removed.
type RemovedBody struct {
	Removed int `json:"removed"`
}

// Admin is the admin endpoint /__mockloop/overrides[/{operationId}] (GET lists or shows, PUT
// sets, DELETE removes one or all), with the counts in GET /__mockloop/status.
func (s *Store) Admin() server.AdminRoute {
	return server.AdminRoute{
		Name:    "overrides",
		Methods: "GET, PUT, DELETE",
		Handler: http.HandlerFunc(s.serveAdmin),
		Status:  func() any { return s.Status() },
	}
}

func (s *Store) serveAdmin(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, server.AdminPrefix+"overrides")
	id := strings.Trim(rest, "/")
	switch {
	case r.Method == http.MethodGet && id == "":
		server.WriteJSON(w, http.StatusOK, ListBody{Overrides: s.List()})
	case r.Method == http.MethodGet:
		v, err := s.Get(id)
		if err != nil {
			writeError(w, err)
			return
		}
		server.WriteJSON(w, http.StatusOK, v)
	case r.Method == http.MethodDelete && id == "":
		server.WriteJSON(w, http.StatusOK, RemovedBody{Removed: s.Clear()})
	case r.Method == http.MethodDelete:
		if err := s.Delete(id); err != nil {
			writeError(w, err)
			return
		}
		server.WriteJSON(w, http.StatusOK, RemovedBody{Removed: 1})
	case id == "":
		problem.Write(w, problem.Details{Status: http.StatusMethodNotAllowed,
			Detail: "PUT " + server.AdminPrefix + "overrides/{operationId} sets one operation's override"})
	default:
		data, err := io.ReadAll(io.LimitReader(r.Body, maxOverrideBody+1))
		if err == nil && len(data) > maxOverrideBody {
			err = fmt.Errorf("longer than %d bytes", maxOverrideBody)
		}
		if err != nil {
			problem.Write(w, problem.Details{Status: http.StatusBadRequest, Title: "Invalid override", Detail: "read the override: " + err.Error()})
			return
		}
		o, err := decodeOverride(data)
		if err != nil {
			problem.Write(w, problem.Details{Status: http.StatusBadRequest, Title: "Invalid override",
				Detail: `send {"status", "headers", "body"}, {"example"} or {"responses": [...], "cycle", "times"}: ` + err.Error()})
			return
		}
		if _, err := s.Set(id, o); err != nil {
			writeError(w, err)
			return
		}
		// The override as set, with what is wrong with its answers against the spec in
		// "warnings" (it is set all the same).
		v, _ := s.Get(id)
		server.WriteJSON(w, http.StatusOK, v)
	}
}

func writeError(w http.ResponseWriter, err error) {
	status := http.StatusBadRequest
	if errors.Is(err, ErrUnknownOperation) || errors.Is(err, ErrNotSet) {
		status = http.StatusNotFound
	}
	problem.Write(w, problem.Details{Status: status, Detail: err.Error()})
}
