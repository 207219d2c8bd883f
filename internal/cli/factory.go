package cli

import (
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/mockloop/mockloop/internal/iostreams"
	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/spec"
)

// Factory holds what commands need from the outside world, so tests can replace it.
type Factory struct {
	IOStreams *iostreams.IOStreams
	// LookupEnv reads the environment (os.LookupEnv in production).
	LookupEnv func(string) (string, bool)
	// HTTPClient is used for specs and documents fetched by URL.
	HTTPClient *http.Client
	// Version, Commit and Date are what the linker stamped through main ("" when not).
	Version, Commit, Date string

	// Getwd and UserConfigDir locate the plugins directory (os.Getwd and os.UserConfigDir
	// when nil).
	Getwd         func() (string, error)
	UserConfigDir func() (string, error)

	// pluginsDirFlag is bound to the persistent --plugins-dir flag.
	pluginsDirFlag string
	// allowRefs and fetchTimeout are bound to --allow-ref and --fetch-timeout.
	allowRefs    []string
	fetchTimeout time.Duration
	noCache      bool // --no-cache
}

// LoadOptions is how commands load specs: stdin, the HTTP client, and the --allow-ref and
// --fetch-timeout flags (a plugin's allow_refs are added by stack.LoadOptions), and --no-cache.
func (f *Factory) LoadOptions() spec.Options {
	return spec.Options{Stdin: f.IOStreams.In, Client: f.HTTPClient, AllowRefs: f.allowRefs, FetchTimeout: f.fetchTimeout, NoCache: f.noCache}
}

// Stamp is what the release build stamps into main at link time.
type Stamp struct {
	Version, Commit, Date string
}

// NewFactory returns the production Factory.
func NewFactory(stamp Stamp) *Factory {
	return &Factory{
		IOStreams:  iostreams.System(),
		LookupEnv:  os.LookupEnv,
		HTTPClient: &http.Client{},
		Version:    stamp.Version,
		Commit:     stamp.Commit,
		Date:       stamp.Date,
	}
}

// Getenv returns the variable's value, "" when unset.
func (f *Factory) Getenv(key string) string {
	v, _ := f.LookupEnv(key)
	return v
}

// PluginStore is the plugin store of the plugins directory (see PluginsDir).
func (f *Factory) PluginStore() *plugin.Store { return plugin.NewStore(f.PluginsDir()) }

// PluginsDir is where plugin files live, the first of: --plugins-dir; MOCKLOOP_PLUGINS_DIR;
// the nearest .mockloop/plugins in the working directory or a parent (as git finds .git);
// $MOCKLOOP_HOME/plugins; the user config directory's mockloop/plugins
// (os.UserConfigDir: ~/.config on Linux, ~/Library/Application Support on macOS,
// %AppData% on Windows). With none usable, ./.mockloop/plugins.
func (f *Factory) PluginsDir() string {
	dir, _ := f.pluginsDir()
	return dir
}

// pluginsDir is PluginsDir and where the choice came from, for `plugin list`.
func (f *Factory) pluginsDir() (dir, from string) {
	if f.pluginsDirFlag != "" {
		return f.pluginsDirFlag, "--plugins-dir"
	}
	if d := f.Getenv("MOCKLOOP_PLUGINS_DIR"); d != "" {
		return d, "MOCKLOOP_PLUGINS_DIR"
	}
	getwd := f.Getwd
	if getwd == nil {
		getwd = os.Getwd
	}
	if wd, err := getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			candidate := filepath.Join(d, ".mockloop", "plugins")
			if info, err := os.Stat(candidate); err == nil && info.IsDir() {
				return candidate, "the nearest .mockloop/plugins"
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	if home := f.Getenv("MOCKLOOP_HOME"); home != "" {
		return filepath.Join(home, "plugins"), "MOCKLOOP_HOME"
	}
	configDir := f.UserConfigDir
	if configDir == nil {
		configDir = os.UserConfigDir
	}
	if cfg, err := configDir(); err == nil && cfg != "" {
		return filepath.Join(cfg, "mockloop", "plugins"), "the user config directory"
	}
	return filepath.Join(".mockloop", "plugins"), "the working directory"
}
