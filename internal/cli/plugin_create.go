package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mockloop/mockloop/internal/compare"
	"github.com/mockloop/mockloop/internal/iostreams"
	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/problem"
	"github.com/mockloop/mockloop/internal/spec"
	"github.com/mockloop/mockloop/internal/stack"
)

type pluginCreateOptions struct {
	IO    *iostreams.IOStreams
	Load  spec.Options
	Store *plugin.Store

	Name         string
	Spec         string
	Mode         string
	Target       string
	AuthType     string
	AuthLocation string
	AuthName     string
	Credentials  []string
	Rules        []string
	Operations   []string
	Overlays     []string
	Replay       string
	Redact       []string
	MCPTools     string
	Fallback     string
	Timeout      string
	RetryCount   int
	// Comparison is the command line's comparison layer (--config, then the flags), merged
	// over the --from-file plugin's comparison block.
	Comparison      compare.Config
	comparisonFlags comparisonFlags
	FromFile        string
	Force           bool
	Output          string

	// Set holds the flags given on the command line: with --from-file only those override
	// the file's values.
	Set map[string]bool
}

func newPluginCreateCmd(f *Factory, runF func(*pluginCreateOptions) error) *cobra.Command {
	opts := &pluginCreateOptions{}
	cmd := &cobra.Command{
		Use:   "create [NAME]",
		Short: "Create a plugin from a spec, a mode, a target and credentials",
		Long: `Create a plugin: a named configuration that serve, test run and mcp read.

The spec is loaded before anything is written, so a broken document never becomes a plugin;
its load warnings are printed on stderr. Without --spec the embedded example API is used.
Relative spec paths are stored as absolute paths, so the plugin works from any directory.
proxy and hybrid modes need --target.

--credential key=value may be repeated; the keys depend on --auth-type:
  api_key       api_key (with --auth-location header|query|cookie and --auth-name)
  bearer_token  token
  basic_auth    username, password
  oauth2        access_token, refresh_token, client_id, client_secret, token_url, scope
  custom        header.<Name>=template, query.<name>=template
A value may be a literal or an ${ENV} reference, resolved when the plugin is used and kept
unresolved in the file. Secrets are written only to the plugin file (mode 0600) and printed
as ***.

--rule adds a hybrid route rule as comma-separated key=value pairs: pattern (path glob, '*'
one segment, '**' any), method, mode (mock or proxy), priority (higher first), fallback
(mock), percent (A/B routing: that share of the matches goes to mode, the rest to the other
side; weight is another name), key (the request header that keeps one client on one side,
e.g. X-User-Id) and condition. condition must come last: it takes the rest of the rule,
commas and quotes included. Every condition is compiled before anything is written: a bad
one is refused with the rule's index, the expression and the position.

For oauth2, the token URL may come from --credential token_url=..., else from the spec's
OAuth2 security scheme (its tokenUrl); when there is neither, create says that the access
token cannot be refreshed (and refuses a plugin that has no access token to start with).

--operations keeps only the matching operations as 'mockloop mcp' tools (saved as the plugin's
operations key): the filters of 'test run --operations'; repeat it to keep more. --mcp-tools
says how mcp exposes them: operations (one tool each), discovery (search_operations,
describe_operation, call_operation) or auto (operations up to 60, discovery above).

--overlay FILE (repeatable, the plugin's overlays) applies an OpenAPI Overlay whenever the spec
is loaded; the spec is loaded with them before anything is written. --replay DIR (the plugin's
replay) answers the mock side of serve, test run and mcp from the recordings in DIR first; they
are read now, so DIR must hold recordings (serve --record writes them). --redact FIELD
(repeatable, the plugin's redact) names body fields recordings never store: bare names at any
depth or JSONPaths, the grammar of --ignore-field. Relative paths are stored as absolute paths.

--from-file reads a plugin YAML file; flags given on the command line override its values,
and NAME overrides its name. A relative spec path in the file is relative to the file.`,
		Example: `$ mockloop plugin create demo
$ mockloop plugin create petstore --spec ./petstore.yaml
$ mockloop plugin create live --spec https://petstore3.swagger.io/api/v3/openapi.json \
    --mode proxy --target https://petstore3.swagger.io/api/v3 \
    --auth-type api_key --auth-location header --auth-name X-API-Key --credential 'api_key=${PETSTORE_KEY}'
$ mockloop plugin create mixed --spec api.yaml --mode hybrid --target https://api.example.com \
    --rule 'pattern=/orders/**,method=POST,mode=proxy,priority=10' \
    --rule "pattern=/**,mode=mock,condition='X-Test-Mode' in request.headers"
$ mockloop plugin create copy --from-file plugin.yaml --force`,
		Args: cobra.RangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO = f.IOStreams
			opts.Load = f.LoadOptions()
			opts.Store = f.PluginStore()
			if len(args) == 1 {
				opts.Name = args[0]
			}
			if opts.Name == "" && opts.FromFile == "" {
				return usageErrorf("plugin create needs a NAME (or --from-file with a name)")
			}
			if opts.Name != "" {
				if err := plugin.ValidName(opts.Name); err != nil {
					return usageErrorf("%v", err)
				}
			}
			if err := checkOutput(opts.Output, "text", "json", "yaml"); err != nil {
				return err
			}
			layer, err := opts.comparisonFlags.layer(cmd)
			if err != nil {
				return err
			}
			opts.Comparison = layer
			opts.Set = map[string]bool{}
			cmd.Flags().Visit(func(fl *pflag.Flag) { opts.Set[fl.Name] = true })
			if runF != nil {
				return runF(opts)
			}
			return runPluginCreate(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Spec, "spec", "", "OpenAPI document: file path or http(s) URL (default: the embedded example API)")
	fl.StringVar(&opts.Mode, "mode", "", "default mode: mock, proxy or hybrid (default mock)")
	fl.StringVar(&opts.Target, "target", "", "live API base URL (required for proxy and hybrid)")
	fl.StringVar(&opts.AuthType, "auth-type", "", "credentials to inject: api_key, bearer_token, basic_auth, oauth2 or custom")
	fl.StringVar(&opts.AuthLocation, "auth-location", "", "where the api_key goes: header, query or cookie (default header)")
	fl.StringVar(&opts.AuthName, "auth-name", "", "header, query or cookie name of the api_key")
	fl.StringArrayVar(&opts.Credentials, "credential", nil, "credential `key=value` (value may be ${ENV}); repeatable")
	fl.StringArrayVar(&opts.Rules, "rule", nil, "route rule 'pattern=/api/*,method=POST,mode=proxy,priority=10,condition=...'; repeatable")
	fl.StringArrayVar(&opts.Operations, "operations", nil, "keep only these operations as MCP tools, saved in the plugin: the filters of test run --operations (repeatable)")
	fl.StringVar(&opts.MCPTools, "mcp-tools", "", "how mockloop mcp exposes the operations: auto, operations or discovery (default auto)")
	fl.StringArrayVar(&opts.Overlays, "overlay", nil, "OpenAPI Overlay 1.0 `FILE` applied whenever the spec is loaded, saved in the plugin (repeatable)")
	fl.StringVar(&opts.Replay, "replay", "", "answer the mock side from the recordings in `DIR` first (serve --record writes them)")
	fl.StringArrayVar(&opts.Redact, "redact", nil, "body `FIELD` recordings never store: a name at any depth or a JSONPath (repeatable)")
	fl.StringVar(&opts.Fallback, "fallback", "", "answer from the mock when the live API fails: mock")
	fl.StringVar(&opts.Timeout, "timeout", "", "live request timeout, e.g. 30s")
	fl.IntVar(&opts.RetryCount, "retry-count", 0, "retries for idempotent live requests on connect errors, timeouts and 502/503/504")
	addComparisonFlags(cmd, &opts.comparisonFlags)
	fl.StringVar(&opts.FromFile, "from-file", "", "read the plugin from a YAML file; flags override its values")
	fl.BoolVar(&opts.Force, "force", false, "replace an existing plugin of the same name")
	addOutputFlag(cmd, &opts.Output, "text", "json", "yaml")
	_ = cmd.RegisterFlagCompletionFunc("mode", cobra.FixedCompletions([]string{"mock", "proxy", "hybrid"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("auth-type", cobra.FixedCompletions([]string{"api_key", "bearer_token", "basic_auth", "oauth2", "custom"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("auth-location", cobra.FixedCompletions([]string{"header", "query", "cookie"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("mcp-tools", cobra.FixedCompletions(mcpToolModes(), cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("replay", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return nil, cobra.ShellCompDirectiveFilterDirs
	})
	return cmd
}

// pluginCreateResult is what create prints with -o json|yaml.
type pluginCreateResult struct {
	Plugin     *plugin.Plugin `json:"plugin" yaml:"plugin"`
	File       string         `json:"file" yaml:"file"`
	SpecTitle  string         `json:"spec_title" yaml:"spec_title"`
	Operations int            `json:"operations" yaml:"operations"`
	// Selected is how many operations the plugin's operations filter keeps (all without one).
	Selected int `json:"selected" yaml:"selected"`
}

func runPluginCreate(ctx context.Context, opts *pluginCreateOptions) error {
	p, err := buildPlugin(opts)
	if err != nil {
		return err
	}
	store := opts.Store
	if !opts.Force {
		if _, err := os.Lstat(store.Path(p.Name)); err == nil {
			return usageErrorf("plugin %q already exists in %s (use --force to replace it)", p.Name, store.Dir())
		}
	}
	// --allow-ref hosts given for this spec are the plugin's from now on.
	for _, h := range opts.Load.AllowRefs {
		if !slices.Contains(p.AllowRefs, h) {
			p.AllowRefs = append(p.AllowRefs, h)
		}
	}
	// What would stop the plugin is found before the spec is fetched, and nothing is written.
	if _, err := checkBuild(p, nil); err != nil {
		return err
	}
	// The spec is loaded before anything is written: a broken document never becomes a plugin.
	doc, err := loadSpec(ctx, opts.IO, opts.Load, p)
	if err != nil {
		return err
	}
	filter, _ := spec.ParseFilter(p.Operations) // checked by buildPlugin
	selected := len(filter.Select(doc))
	if selected == 0 {
		return usageErrorf("--operations: no operation of %s matches %s", doc.Source, filter)
	}
	notes, err := checkBuild(p, doc)
	if err != nil {
		return err
	}
	for _, n := range notes {
		fmt.Fprintf(opts.IO.ErrOut, "warning: %s\n", n)
	}
	if err := store.Save(p, opts.Force); err != nil {
		if errors.Is(err, plugin.ErrExists) {
			return usageErrorf("%v (use --force to replace it)", err)
		}
		return err
	}
	file := store.Path(p.Name)
	if abs, err := filepath.Abs(file); err == nil {
		file = abs
	}
	res := pluginCreateResult{Plugin: p.Masked(), File: file, SpecTitle: doc.Title(), Operations: len(doc.Operations), Selected: selected}
	switch opts.Output {
	case "json":
		return writeJSON(opts.IO.Out, res)
	case "yaml":
		return writeYAML(opts.IO.Out, res)
	}
	return printCreateSummary(opts.IO.Out, res)
}

func printCreateSummary(w io.Writer, r pluginCreateResult) error {
	p := r.Plugin
	var b strings.Builder
	fmt.Fprintf(&b, "created plugin %s\n", p.Name)
	fmt.Fprintf(&b, "  mode:   %s\n", p.Mode)
	fmt.Fprintf(&b, "  spec:   %s (%s, %s)\n", r.SpecTitle, p.Spec, pluralize(r.Operations, "operation"))
	if p.TargetURL != "" {
		fmt.Fprintf(&b, "  target: %s\n", p.TargetURL)
	}
	if a := p.Auth; a != nil {
		fmt.Fprintf(&b, "  auth:   %s", a.AuthType)
		if a.AuthType == plugin.AuthAPIKey {
			loc := a.Location
			if loc == "" {
				loc = "header"
			}
			fmt.Fprintf(&b, " in %s %s", loc, a.Name)
		}
		keys := make([]string, 0, len(a.Credentials))
		for k := range a.Credentials {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			sep := ", "
			if i == 0 {
				sep = " ("
			}
			fmt.Fprintf(&b, "%s%s=%s", sep, k, a.Credentials[k])
		}
		if len(keys) > 0 {
			b.WriteString(")")
		}
		b.WriteString("\n")
	}
	if n := len(p.RouteRules); n > 0 {
		fmt.Fprintf(&b, "  rules:  %d\n", n)
	}
	if len(p.Operations) > 0 {
		fmt.Fprintf(&b, "  operations: %s (%d of %d)\n", strings.Join(p.Operations, ", "), r.Selected, r.Operations)
	}
	if p.MCPTools != "" {
		fmt.Fprintf(&b, "  mcp tools: %s\n", p.MCPTools)
	}
	if len(p.Overlays) > 0 {
		fmt.Fprintf(&b, "  overlays: %s\n", strings.Join(p.Overlays, ", "))
	}
	if p.Replay != "" {
		fmt.Fprintf(&b, "  replay: %s\n", p.Replay)
	}
	if len(p.Redact) > 0 {
		fmt.Fprintf(&b, "  redact: %s\n", strings.Join(p.Redact, ", "))
	}
	fmt.Fprintf(&b, "  file:   %s\n", r.File)
	_, err := io.WriteString(w, b.String())
	return err
}

// buildPlugin turns the options (and the --from-file plugin) into a plugin, checked with
// Validate. String flags override the file when non-empty, the others when given (opts.Set).
// Every problem is a usage error (exit 2) and never quotes a credential value.
func buildPlugin(opts *pluginCreateOptions) (*plugin.Plugin, error) {
	p := &plugin.Plugin{}
	if opts.FromFile != "" {
		data, err := os.ReadFile(opts.FromFile)
		if err != nil {
			return nil, usageErrorf("--from-file: %v", err)
		}
		p, err = plugin.Parse(data, opts.FromFile)
		if err != nil {
			return nil, usageErrorf("%v", err)
		}
		if p.Spec != "" && isLocalPath(p.Spec) && !filepath.IsAbs(p.Spec) {
			p.Spec = filepath.Join(filepath.Dir(opts.FromFile), p.Spec)
		}
		fromFilePaths(p, filepath.Dir(opts.FromFile))
	}
	if opts.Name != "" {
		p.Name = opts.Name
	}
	if err := plugin.ValidName(p.Name); err != nil {
		return nil, usageErrorf("%v", err)
	}
	if opts.Spec != "" {
		p.Spec = opts.Spec
	}
	if p.Spec == "" {
		p.Spec = spec.ExampleSource
	}
	if p.Spec == "-" {
		return nil, usageErrorf("--spec -: a plugin cannot read its spec from stdin; save it to a file")
	}
	if isLocalPath(p.Spec) {
		abs, err := filepath.Abs(p.Spec)
		if err != nil {
			return nil, usageErrorf("--spec %q: %v", p.Spec, err)
		}
		p.Spec = abs
	}
	if opts.Mode != "" {
		m, err := plugin.ParseMode(opts.Mode)
		if err != nil {
			return nil, usageErrorf("--mode: %v", err)
		}
		p.Mode = m
	}
	if p.Mode == "" {
		p.Mode = plugin.ModeMock
	}
	if opts.Target != "" {
		p.TargetURL = opts.Target
	}
	if p.TargetURL == "" && p.Mode != plugin.ModeMock {
		return nil, usageErrorf("--target is required in %s mode", p.Mode)
	}
	if err := applyAuthFlags(p, opts); err != nil {
		return nil, err
	}
	if p.Auth != nil && p.Auth.AuthType == plugin.AuthAPIKey && p.Auth.Location == "" {
		p.Auth.Location = "header" // written out, so the file says where the key goes
	}
	if len(opts.Rules) > 0 {
		rules := make([]plugin.RouteRule, 0, len(opts.Rules))
		for _, s := range opts.Rules {
			r, err := parseRule(s)
			if err != nil {
				return nil, usageErrorf("%v", err)
			}
			rules = append(rules, r)
		}
		p.RouteRules = rules
	}
	if opts.Set["fallback"] {
		p.Fallback = plugin.Mode(opts.Fallback)
	}
	if opts.Set["timeout"] {
		d, err := plugin.ParseDuration(opts.Timeout)
		if err != nil {
			return nil, usageErrorf("--timeout: %v", err)
		}
		p.Timeout = d
	}
	if opts.Set["retry-count"] {
		p.RetryCount = opts.RetryCount
	}
	if opts.Set["operations"] {
		p.Operations = opts.Operations
	}
	if err := applyRecordingFlags(p, opts); err != nil {
		return nil, err
	}
	p.Comparison = compare.Merge(p.Comparison, opts.Comparison)
	if err := p.Validate(); err != nil {
		return nil, usageErrorf("%v", err)
	}
	if _, err := spec.ParseFilter(p.Operations); err != nil {
		return nil, usageErrorf("operations %v", err)
	}
	return p, nil
}

// checkBuild refuses a plugin that could not be built (stack.Refuse, as MCP's
// create_mcp_plugin does): every problem, one usage error (exit 2); it returns the notes. doc,
// when known, lets oauth2 take its token URL from the spec.
func checkBuild(p *plugin.Plugin, doc *spec.Document) ([]problem.Item, error) {
	notes, err := stack.Refuse(p, doc)
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	return notes, nil
}

func applyAuthFlags(p *plugin.Plugin, opts *pluginCreateOptions) error {
	given := opts.AuthType != "" || opts.AuthLocation != "" || opts.AuthName != "" || len(opts.Credentials) > 0
	if !given {
		return nil
	}
	if p.Auth == nil {
		if opts.AuthType == "" {
			return usageErrorf("--auth-location, --auth-name and --credential need --auth-type")
		}
		p.Auth = &plugin.Auth{}
	}
	if opts.AuthType != "" {
		p.Auth.AuthType = opts.AuthType
	}
	if opts.AuthLocation != "" {
		p.Auth.Location = opts.AuthLocation
	}
	if opts.AuthName != "" {
		p.Auth.Name = opts.AuthName
	}
	seen := map[string]bool{}
	for _, c := range opts.Credentials {
		k, v, ok := strings.Cut(c, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			// The argument may be a secret: name only its position.
			return usageErrorf("invalid --credential #%d: want key=value", len(seen)+1)
		}
		if seen[k] {
			return usageErrorf("--credential %q given twice", k)
		}
		seen[k] = true
		if p.Auth.Credentials == nil {
			p.Auth.Credentials = map[string]string{}
		}
		p.Auth.Credentials[k] = v
	}
	return nil
}

// ruleKeys are the keys a --rule accepts.
var ruleKeys = []string{"pattern", "method", "mode", "priority", "fallback", "percent", "weight", "key", "condition"}

// parseRule reads 'pattern=/api/*,method=POST,mode=proxy,priority=10,condition=...'. Pairs are
// separated by commas, except that condition= takes the rest of the string, commas and quotes
// included, so an expression needs no escaping.
func parseRule(s string) (plugin.RouteRule, error) {
	var r plugin.RouteRule
	bad := func(format string, args ...any) (plugin.RouteRule, error) {
		return plugin.RouteRule{}, fmt.Errorf("invalid --rule %q: %s", s, fmt.Sprintf(format, args...))
	}
	seen := map[string]bool{}
	rest := strings.TrimSpace(s)
	if rest == "" {
		return bad("empty rule")
	}
	for rest != "" {
		var pair string
		if strings.HasPrefix(rest, "condition=") {
			pair, rest = rest, ""
		} else {
			pair, rest, _ = strings.Cut(rest, ",")
		}
		k, v, ok := strings.Cut(pair, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok {
			return bad("%q is not key=value", pair)
		}
		if !slices.Contains(ruleKeys, k) {
			return bad("unknown key %q (want %s)", k, strings.Join(ruleKeys, ", "))
		}
		if seen[k] {
			return bad("%s given twice", k)
		}
		seen[k] = true
		switch k {
		case "pattern":
			r.Pattern = v
		case "method":
			r.Method = strings.ToUpper(v)
		case "mode":
			r.Mode = plugin.Mode(strings.ToLower(v))
		case "priority":
			n, err := strconv.Atoi(v)
			if err != nil {
				return bad("priority %q is not an integer", v)
			}
			r.Priority = n
		case "fallback":
			r.Fallback = plugin.Mode(v)
		case "percent", "weight":
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return bad("%s %q is not a number", k, v)
			}
			if k == "percent" {
				r.Percent = &n
			} else {
				r.Weight = &n
			}
		case "key":
			r.Key = v
		case "condition":
			r.Condition = v
		}
		rest = strings.TrimLeft(rest, " ")
	}
	if r.Pattern == "" {
		return bad("pattern is required")
	}
	if r.Mode == "" {
		hint := ""
		if r.Condition != "" {
			hint = "; condition= takes the rest of the rule, so put it last"
		}
		return bad("mode is required (mock or proxy)%s", hint)
	}
	if r.Mode != plugin.ModeMock && r.Mode != plugin.ModeProxy {
		return bad("mode %q: want mock or proxy", r.Mode)
	}
	return r, nil
}

// isLocalPath reports whether a spec source is a file path (not a URL, stdin or the example).
func isLocalPath(s string) bool {
	return s != "-" && s != spec.ExampleSource && !spec.IsHTTP(s)
}
