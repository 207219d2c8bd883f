package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// maxAdminAnswer bounds what a running server's admin API may answer a tool.
const maxAdminAnswer = 1 << 20

// adminCall sends a JSON request to a running server's admin API (path under
// /__mockloop/) and decodes its JSON answer into out. A non-2xx answer is an error carrying
// its problem+json title and detail; what names the call in errors ("switch mode").
func (s *Server) adminCall(ctx context.Context, server, method, path string, in, out any, what string) error {
	if !isURL(server) {
		return fmt.Errorf("server_url %q: want an http(s) URL", server)
	}
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s at %s: %w", what, server, err)
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(server, "/")+"/__mockloop/"+path, body)
	if err != nil {
		return fmt.Errorf("%s at %s: %w", what, server, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s at %s: %w", what, server, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxAdminAnswer))
	if resp.StatusCode/100 != 2 {
		detail := strings.TrimSpace(string(data))
		var pd struct{ Detail, Title string }
		if json.Unmarshal(data, &pd) == nil && (pd.Detail != "" || pd.Title != "") {
			detail = strings.TrimSpace(pd.Title + ": " + pd.Detail)
		}
		return fmt.Errorf("%s at %s: %s: %s", what, server, resp.Status, detail)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s at %s: unexpected answer: %w", what, server, err)
	}
	return nil
}
