package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/mockloop/mockloop/internal/stack"
)

// reloader is serve's handler: the current stack, replaced whole when the spec or the plugin
// file changes (--watch) or on SIGHUP. A reload that fails keeps the current stack and says
// why; requests in flight finish on the stack they started on.
type reloader struct {
	current atomic.Pointer[stack.Stack]
	build   func(context.Context) (*stack.Stack, error)
	chatter io.Writer
	onSwap  func(*stack.Stack) // starts what each stack runs beside it (the example check)

	mu     sync.Mutex // one reload at a time
	done   sync.WaitGroup
	closed sync.Once
}

func (rl *reloader) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rl.current.Load().ServeHTTP(w, r)
}

// reload builds a new stack and swaps it in; the old one is closed once the requests that
// may still be on it have had time to finish.
func (rl *reloader) reload(ctx context.Context, why string) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	st, err := rl.build(ctx)
	if err != nil {
		fmt.Fprintf(rl.chatter, "warning: reload (%s) failed, still serving the previous document: %v\n", why, err)
		return
	}
	old := rl.current.Swap(st)
	fmt.Fprintf(rl.chatter, "reloaded (%s): %s, %s, mode %s\n", why, st.Doc.Source, pluralize(st.Handler.Operations(), "operation"), st.Handler.Mode())
	if rl.onSwap != nil {
		rl.onSwap(st)
	}
	rl.done.Add(1)
	go func() {
		defer rl.done.Done()
		time.Sleep(reloadGrace)
		old.Close()
	}()
}

// reloadGrace is how long a replaced stack stays open for the requests still on it.
const reloadGrace = 10 * time.Second

// close closes the current stack and waits for the replaced ones to close.
func (rl *reloader) close() {
	rl.closed.Do(func() {
		rl.current.Load().Close()
		rl.done.Wait()
	})
}

// watchReloads reloads on SIGHUP always, and with watch when one of files changes (editors
// replace files, so their directories are watched). It returns when ctx ends.
func watchReloads(ctx context.Context, rl *reloader, watch bool, files []string) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	var events <-chan fsnotify.Event
	var errs <-chan error
	if watch {
		w, err := fsnotify.NewWatcher()
		if err != nil {
			fmt.Fprintf(rl.chatter, "warning: --watch: %v (SIGHUP still reloads)\n", err)
		} else {
			defer w.Close()
			for _, dir := range watchDirs(files) {
				if err := w.Add(dir); err != nil {
					fmt.Fprintf(rl.chatter, "warning: --watch %s: %v\n", dir, err)
				}
			}
			events, errs = w.Events, w.Errors
		}
	}
	watched := map[string]bool{}
	for _, f := range files {
		if abs, err := filepath.Abs(f); err == nil {
			watched[abs] = true
		}
	}
	// Editors write a file in several steps: reload once things are quiet.
	var pending *time.Timer
	fire := make(chan string, 1)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			rl.reload(ctx, "SIGHUP")
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			abs, _ := filepath.Abs(ev.Name)
			if !watched[abs] || ev.Op == fsnotify.Chmod {
				continue
			}
			name := filepath.Base(ev.Name)
			if pending != nil {
				pending.Stop()
			}
			pending = time.AfterFunc(watchSettle, func() {
				select {
				case fire <- name:
				default:
				}
			})
		case name := <-fire:
			rl.reload(ctx, name+" changed")
		case err, ok := <-errs:
			if ok {
				fmt.Fprintf(rl.chatter, "warning: --watch: %v\n", err)
			}
		}
	}
}

// watchSettle is how long a changed file must stay unchanged before it is reloaded.
const watchSettle = 150 * time.Millisecond

// watchDirs are the directories of the local files among files.
func watchDirs(files []string) []string {
	var dirs []string
	seen := map[string]bool{}
	for _, f := range files {
		if f == "" || f == "-" || !isLocalPath(f) {
			continue
		}
		abs, err := filepath.Abs(f)
		if err != nil {
			continue
		}
		d := filepath.Dir(abs)
		if !seen[d] {
			seen[d] = true
			dirs = append(dirs, d)
		}
	}
	return dirs
}

// jsonLines turns each line written to it into one JSON object on w, for --log-format json:
// {"time", "level", "msg"}, the level read from the line's prefix ("warning:", "mockloop:").
type jsonLines struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

func (j *jsonLines) Write(p []byte) (int, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.buf = append(j.buf, p...)
	for {
		i := bytes.IndexByte(j.buf, '\n')
		if i < 0 {
			break
		}
		line := string(j.buf[:i])
		j.buf = j.buf[i+1:]
		if strings.TrimSpace(line) == "" {
			continue
		}
		level := "info"
		switch {
		case strings.HasPrefix(line, "warning: "):
			level, line = "warn", strings.TrimPrefix(line, "warning: ")
		case strings.HasPrefix(line, "  "):
			level, line = "warn", strings.TrimSpace(line) // the items under a warning
		case strings.HasPrefix(line, "mockloop: "), strings.HasPrefix(line, "response violation: "):
			level = "error"
		}
		b, _ := json.Marshal(struct {
			Time  string `json:"time"`
			Level string `json:"level"`
			Msg   string `json:"msg"`
		}{time.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00"), level, line})
		if _, err := j.w.Write(append(b, '\n')); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}
