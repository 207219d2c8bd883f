package iostreams

import "testing"

func TestColorEnabled(t *testing.T) {
	tests := []struct {
		name    string
		mode    ColorMode
		tty     bool
		noColor bool
		want    bool
	}{
		{"auto on a terminal", ColorAuto, true, false, true},
		{"auto off a terminal", ColorAuto, false, false, false},
		{"auto with NO_COLOR", ColorAuto, true, true, false},
		{"always off a terminal", ColorAlways, false, false, true},
		{"always beats NO_COLOR", ColorAlways, false, true, true},
		{"never on a terminal", ColorNever, true, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := Test()
			ios.SetColorMode(tt.mode)
			ios.SetStdoutTTY(tt.tty)
			ios.SetStderrTTY(tt.tty)
			ios.SetNoColorEnv(tt.noColor)
			if got := ios.ColorEnabled(); got != tt.want {
				t.Errorf("ColorEnabled() = %v, want %v", got, tt.want)
			}
			if got := ios.ErrColorEnabled(); got != tt.want {
				t.Errorf("ErrColorEnabled() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseColorMode(t *testing.T) {
	for _, s := range []string{"auto", "always", "never"} {
		if _, err := ParseColorMode(s); err != nil {
			t.Errorf("ParseColorMode(%q): %v", s, err)
		}
	}
	if _, err := ParseColorMode("sometimes"); err == nil {
		t.Error("ParseColorMode(sometimes) succeeded, want an error")
	}
}

func TestCanPrompt(t *testing.T) {
	ios, _, _, _ := Test()
	if ios.CanPrompt() {
		t.Error("test streams can prompt")
	}
	ios.SetStdinTTY(true)
	ios.SetStderrTTY(true)
	if !ios.CanPrompt() {
		t.Error("terminal streams cannot prompt")
	}
}
