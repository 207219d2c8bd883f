// Package problem has the one type of a message at a location (Item), which spec warnings,
// strict validation, request and response validation, test-run findings and plugin checks all
// report, and writes RFC 9457 problem details (application/problem+json), the one error body
// shape every mockloop server answers with, listing such items.
package problem

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// ContentType is the media type of a problem details body.
const ContentType = "application/problem+json"

// Details is an RFC 9457 problem. Type defaults to "about:blank" and Title to the status text
// when empty; Errors lists the individual problems (e.g. one per invalid parameter).
type Details struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Errors []Item `json:"errors,omitempty"`
}

// Item is one problem and where it is, e.g. {Location: "query.limit", Message: "must be <= 100"}.
// Locations are JSON pointers into a spec ("/paths/~1pets/get", with " (line L)" where known),
// places in a request or response ("query.limit", "body.items[0].name", "status"), or empty
// for the whole thing.
type Item struct {
	Location string `json:"location"`
	Message  string `json:"message"`
}

// String is "location: message", or the message alone when there is no location.
func (i Item) String() string {
	if i.Location == "" {
		return i.Message
	}
	return i.Location + ": " + i.Message
}

// Write sends p as application/problem+json with p.Status (500 when unset). Headers already
// set on w (Allow, WWW-Authenticate, ...) are kept.
func Write(w http.ResponseWriter, p Details) {
	if p.Status == 0 {
		p.Status = http.StatusInternalServerError
	}
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	body, err := json.Marshal(p)
	if err != nil {
		// Details holds only strings and ints: Marshal cannot fail, but never write half a body.
		body = []byte(`{"type":"about:blank","status":` + strconv.Itoa(p.Status) + `}`)
	}
	body = append(body, '\n')
	h := w.Header()
	h.Set("Content-Type", ContentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Del("Content-Encoding")
	w.WriteHeader(p.Status)
	_, _ = w.Write(body)
}
