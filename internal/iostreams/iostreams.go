// Package iostreams holds the standard streams a command reads and writes, whether each is a
// terminal, and the one decision about colour. Every command does its I/O through it, so tests
// can swap real streams for buffers.
package iostreams

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/mattn/go-isatty"
)

// ColorMode is the user's colour choice: auto, always or never.
type ColorMode string

// Colour choices accepted by --color.
const (
	ColorAuto   ColorMode = "auto"
	ColorAlways ColorMode = "always"
	ColorNever  ColorMode = "never"
)

// ParseColorMode turns a --color value into a ColorMode.
func ParseColorMode(s string) (ColorMode, error) {
	switch ColorMode(s) {
	case ColorAuto, ColorAlways, ColorNever:
		return ColorMode(s), nil
	}
	return "", fmt.Errorf("invalid color mode %q: want auto, always or never", s)
}

// IOStreams is stdin, stdout (data) and stderr (chatter), with their terminal flags.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdinTTY  bool
	stdoutTTY bool
	stderrTTY bool

	colorMode ColorMode
	noColor   bool // NO_COLOR set in the environment
}

// System returns the process's real streams.
func System() *IOStreams {
	_, noColor := os.LookupEnv("NO_COLOR")
	return &IOStreams{
		In:        os.Stdin,
		Out:       os.Stdout,
		ErrOut:    os.Stderr,
		stdinTTY:  isTerminal(os.Stdin),
		stdoutTTY: isTerminal(os.Stdout),
		stderrTTY: isTerminal(os.Stderr),
		colorMode: ColorAuto,
		noColor:   noColor,
	}
}

// Test returns streams backed by buffers: none is a terminal and colour is off.
func Test() (ios *IOStreams, in, out, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut, colorMode: ColorAuto}, in, out, errOut
}

func isTerminal(f *os.File) bool {
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

// SetColorMode records the --color choice.
func (s *IOStreams) SetColorMode(m ColorMode) { s.colorMode = m }

// SetNoColorEnv records whether NO_COLOR is set (tests use it; System reads the environment).
func (s *IOStreams) SetNoColorEnv(v bool) { s.noColor = v }

// ColorEnabled reports whether stdout output may carry ANSI colour: --color always forces it,
// --color never and NO_COLOR turn it off, otherwise only a terminal gets colour.
func (s *IOStreams) ColorEnabled() bool {
	switch s.colorMode {
	case ColorAlways:
		return true
	case ColorNever:
		return false
	}
	return !s.noColor && s.stdoutTTY
}

// ErrColorEnabled is ColorEnabled for stderr.
func (s *IOStreams) ErrColorEnabled() bool {
	switch s.colorMode {
	case ColorAlways:
		return true
	case ColorNever:
		return false
	}
	return !s.noColor && s.stderrTTY
}

// IsStdinTTY reports whether stdin is a terminal.
func (s *IOStreams) IsStdinTTY() bool { return s.stdinTTY }

// IsStdoutTTY reports whether stdout is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether stderr is a terminal.
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// SetStdinTTY overrides the stdin terminal flag (tests).
func (s *IOStreams) SetStdinTTY(v bool) { s.stdinTTY = v }

// SetStdoutTTY overrides the stdout terminal flag (tests).
func (s *IOStreams) SetStdoutTTY(v bool) { s.stdoutTTY = v }

// SetStderrTTY overrides the stderr terminal flag (tests).
func (s *IOStreams) SetStderrTTY(v bool) { s.stderrTTY = v }

// CanPrompt reports whether the user can be asked a question: stdin and stderr are terminals.
func (s *IOStreams) CanPrompt() bool { return s.stdinTTY && s.stderrTTY }

// ReadInput reads a file a user named, or stdin for "-", up to limit bytes (a larger input is
// an error, never silently cut). Errors name the input ("stdin" for "-").
func ReadInput(name string, stdin io.Reader, limit int64) ([]byte, error) {
	var r io.Reader
	label := name
	if name == "-" {
		label = "stdin"
		if stdin == nil {
			stdin = os.Stdin
		}
		r = stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", label, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("read %s: larger than %d MiB", label, limit>>20)
	}
	return data, nil
}
