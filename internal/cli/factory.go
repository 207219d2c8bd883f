package cli

import (
	"net/http"
	"os"
	"path/filepath"

	"github.com/mockloop/mockloop/internal/iostreams"
	"github.com/mockloop/mockloop/internal/plugin"
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

	// pluginsDirFlag is bound to the persistent --plugins-dir flag.
	pluginsDirFlag string
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

// PluginsDir is where plugin files live: --plugins-dir, else $MOCKLOOP_HOME/plugins,
// else ./.mockloop/plugins.
func (f *Factory) PluginsDir() string {
	if f.pluginsDirFlag != "" {
		return f.pluginsDirFlag
	}
	if home := f.Getenv("MOCKLOOP_HOME"); home != "" {
		return filepath.Join(home, "plugins")
	}
	return filepath.Join(".mockloop", "plugins")
}
