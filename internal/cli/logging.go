package cli

import (
	"io"
	"log/slog"

	"github.com/mockloop/mockloop/internal/server"
)

// newLogger is the one handler of the lines commands write besides their output (routing
// decisions, upstream attempts, retries, token requests, fallbacks): on w, at level and up, as
// text or JSON. The live side removes secrets from its lines before they get here.
func newLogger(w io.Writer, level slog.Level, format server.LogFormat) *slog.Logger {
	o := &slog.HandlerOptions{Level: level}
	if format == server.LogJSON {
		return slog.New(slog.NewJSONHandler(w, o))
	}
	return slog.New(slog.NewTextHandler(w, o))
}
