package upstream

import (
	"context"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mockloop/mockloop/internal/envref"
	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/redact"
)

// Rotating secrets. Credentials may refer to files (${file:/run/secrets/api_key}, Docker and
// Kubernetes secrets) that are replaced while mockloop runs. A running forwarder notices: at
// most once per rotationCheckEvery, the request that comes first stats every referenced file
// (no other request waits for it: they go on with the credentials they have), and when one
// changed (modification time, size, or another file at the path, as an atomic rename or a
// Kubernetes symlink swap leaves it) every credential is resolved again and what depends on
// them rebuilt: the api key, bearer token, basic auth and custom headers and queries, and for
// oauth2 the token source (new client credentials mean new tokens). The secrets of the
// credentials rotated out stay redacted (the last maxSecretGenerations generations). A file
// that cannot be read, or credentials that no longer pass plugin.Auth.Check (a file caught
// half-written, say), keep the last good credentials; that is logged once, until a reload
// succeeds, and the files are tried again at the next check.

// rotationCheckEvery is the shortest time between two checks of the credential files.
const rotationCheckEvery = time.Second

// maxSecretGenerations bounds how many generations of credentials (the current one and the
// ones rotated out before it) are redacted: enough for any sane rotation schedule, and the
// redaction of every log line stays cheap.
const maxSecretGenerations = 32

// rotation watches the files the credentials of one injector refer to.
type rotation struct {
	auth      *plugin.Auth // as configured: the references unresolved
	lookup    func(string) (string, bool)
	tokenURL  string // the spec's token URL, for oauth2 (newTokenSource's specURL)
	tokenFrom string
	every     time.Duration
	now       func() time.Time
	logf      func(level slog.Level, msg string, args ...any) // nil: no lines

	next atomic.Int64 // UnixNano before which no check is made

	mu      sync.Mutex // held by the one check under way
	stamps  []fileStamp
	creds   map[string]string   // the current generation, resolved
	history []map[string]string // the generations whose secrets are redacted, oldest first
	failing bool                // a failure was logged and no reload succeeded since
}

// fileStamp is a credential file as it was when it was last read; info is nil when it could
// not be stat'ed.
type fileStamp struct {
	path string
	info os.FileInfo
}

// credentialFiles lists the files a's credentials refer to, in key order, without duplicates.
func credentialFiles(a *plugin.Auth) []string {
	var files []string
	for _, k := range slices.Sorted(maps.Keys(a.Credentials)) {
		for _, f := range envref.Files(a.Credentials[k]) {
			if !slices.Contains(files, f) {
				files = append(files, f)
			}
		}
	}
	return files
}

// statFiles stamps the files a's credentials refer to (nil when there are none).
func statFiles(a *plugin.Auth) []fileStamp {
	files := credentialFiles(a)
	if len(files) == 0 {
		return nil
	}
	stamps := make([]fileStamp, len(files))
	for i, f := range files {
		stamps[i].path = f
		stamps[i].info, _ = os.Stat(f)
	}
	return stamps
}

// newRotation watches the files of a, whose credentials resolved to creds when the files were
// as stamps say; nil when no credential refers to a file.
func newRotation(a *plugin.Auth, lookup func(string) (string, bool), creds map[string]string, stamps []fileStamp, tokenURL, tokenFrom string) *rotation {
	if len(stamps) == 0 {
		return nil
	}
	r := &rotation{auth: a, lookup: lookup, tokenURL: tokenURL, tokenFrom: tokenFrom, every: rotationCheckEvery, now: time.Now,
		stamps: stamps, creds: creds, history: []map[string]string{creds}}
	r.next.Store(r.now().Add(r.every).UnixNano())
	return r
}

// same reports whether a file is unchanged since it was stamped.
func (s fileStamp) same(info os.FileInfo) bool {
	return s.info != nil && info != nil && os.SameFile(s.info, info) && s.info.ModTime().Equal(info.ModTime()) && s.info.Size() == info.Size()
}

// refresh checks the credential files when a check is due, and reloads the credentials when
// one changed. A request calls it before its credentials are applied; it returns at once
// while another request checks, or when the last check is recent.
func (in *injector) refresh() {
	r := in.rot
	if r == nil {
		return
	}
	now := r.now()
	if now.UnixNano() < r.next.Load() || !r.mu.TryLock() {
		return
	}
	defer r.mu.Unlock()
	if now.UnixNano() < r.next.Load() {
		return // checked while this request waited for the lock
	}
	r.next.Store(now.Add(r.every).UnixNano())
	stamps := make([]fileStamp, len(r.stamps))
	var changed []string
	for i, s := range r.stamps {
		stamps[i].path = s.path
		stamps[i].info, _ = os.Stat(s.path)
		if !s.same(stamps[i].info) {
			changed = append(changed, s.path)
		}
	}
	if len(changed) == 0 {
		return
	}
	in.reload(stamps, changed)
}

// reload resolves the credentials again (r.mu held); stamps are the files as stat'ed just
// before, changed the paths that differ.
func (in *injector) reload(stamps []fileStamp, changed []string) {
	r := in.rot
	creds, err := resolveCredentials(r.auth, r.lookup)
	same := err == nil && maps.Equal(creds, r.creds)
	if err == nil && !same && in.oauth != nil {
		err = in.oauth.rotate(r.creds, creds, r.tokenURL, r.tokenFrom)
	}
	if err != nil {
		// The message names the credential and the file or variable, never a value; it goes
		// through the forwarder's redaction all the same.
		if !r.failing {
			r.failing = true
			r.log(slog.LevelWarn, "a credential file changed but the credentials cannot be read again: the last good ones are kept",
				"files", strings.Join(changed, ", "), "error", err.Error())
		}
		return // the stamps are kept: the next check tries again
	}
	r.stamps = stamps
	recovered := r.failing
	r.failing = false
	if same {
		if recovered {
			r.log(slog.LevelInfo, "the credential files can be read again; the credentials did not change", "files", strings.Join(changed, ", "))
		}
		return // touched, or rewritten with the same content
	}
	// The new secrets are redacted before any request carries them.
	r.history = append(r.history, creds)
	if len(r.history) > maxSecretGenerations {
		r.history = slices.Delete(r.history, 0, len(r.history)-maxSecretGenerations)
	}
	var secrets redact.Secrets
	for _, c := range r.history {
		addSecrets(&secrets, r.auth, c, r.lookup)
	}
	in.secrets.Store(&secrets)
	in.cur.Store(in.build(creds))
	var keys []string
	for _, k := range slices.Sorted(maps.Keys(creds)) {
		if creds[k] != r.creds[k] {
			keys = append(keys, k)
		}
	}
	r.creds = creds
	r.log(slog.LevelInfo, "credentials reloaded: a credential file changed", "files", strings.Join(changed, ", "), "credentials", strings.Join(keys, ", "))
}

func (r *rotation) log(level slog.Level, msg string, args ...any) {
	if r.logf != nil {
		r.logf(level, msg, args...)
	}
}

// watchCredentials sends the rotation's lines to the forwarder's logger, or to its error log
// when it has no logger: both remove every secret the forwarder knows.
func (f *Forwarder) watchCredentials() {
	if f.auth == nil || f.auth.rot == nil {
		return
	}
	f.auth.rot.logf = func(level slog.Level, msg string, args ...any) {
		if f.log != nil {
			f.log.Log(context.Background(), level, msg, args...) // the reload belongs to no one request
			return
		}
		var b strings.Builder
		b.WriteString(msg)
		for i := 0; i+1 < len(args); i += 2 {
			b.WriteString("; ")
			b.WriteString(args[i].(string))
			b.WriteString(": ")
			b.WriteString(args[i+1].(string)) // errorLog redacts
		}
		f.errorLog.Print(b.String())
	}
}
