package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mockloop/mockloop/internal/compare"
	"github.com/mockloop/mockloop/internal/iostreams"
	"github.com/mockloop/mockloop/internal/plugin"
	"github.com/mockloop/mockloop/internal/redact"
	"github.com/mockloop/mockloop/internal/render"
	"github.com/mockloop/mockloop/internal/spec"
	"github.com/mockloop/mockloop/internal/yamldoc"
)

// maxDiffInput bounds what diff reads from one file, stdin or URL.
const maxDiffInput = 1 << 30

// diffOptions are diff's arguments and flags, and what it needs from outside.
type diffOptions struct {
	IO           *iostreams.IOStreams
	Store        *plugin.Store
	Client       *http.Client
	FetchTimeout time.Duration

	A, B    string
	Headers []string
	Plugin  string
	Output  string
	// Comparison is the command line's comparison layer (--config, then the flags).
	Comparison compare.Config

	comparisonFlags comparisonFlags
}

func newDiffCmd(f *Factory, runF func(*diffOptions) error) *cobra.Command {
	opts := &diffOptions{}
	cmd := &cobra.Command{
		Use:   "diff A B",
		Short: "Compare two JSON or YAML documents or URLs",
		Long: `Compare two JSON documents and print their differences. A plays the mock, B the live side.

A and B are each a file (JSON, or YAML for .yaml/.yml files and non-JSON content), '-' for
standard input (for one of them), or an http(s) URL fetched with GET (add request headers with
-H). When both are URLs the status codes are compared too, and headers as --compare-headers
says: alone (true) it compares Content-Type (media type and parameters; there is no spec to
declare others), =all every header but the per-response ones (Date, Age, Server, Set-Cookie,
caching validators, tracing ids such as X-Request-Id), hop-by-hop headers and X-Mockloop-*;
--compare-header NAME adds one.

Objects are compared in both directions (missing: only in A; extra: only in B); numbers by
exact decimal value (1 equals 1.0; large integers are not rounded) or within --tolerance;
arrays ignore order unless --strict-arrays. Each difference has a JSONPath location that can be
pasted into --ignore-field or a plugin's ignore_fields. Options come from --plugin NAME (that
plugin's comparison block), then --config FILE, then the flags, which win.

Output (-o table, the default): a table LOCATION, KIND, MOCK, LIVE, then a summary line such as
"3 differences (2 changed, 1 missing), 4 ignored". Kinds: changed, missing, extra, type (the
JSON types differ), status, header.

Output (-o json), a stable schema:

  {
    "equal": false,
    "summary": {"differences": 3, "changed": 2, "missing": 1, "extra": 0,
                "type": 0, "status": 0, "header": 0, "ignored": 4},
    "differences": [
      {"location": "$.items[0].price", "kind": "changed", "mock": 10, "live": 12}
    ]
  }

"differences" is [] when equal and lists the differences in document order. "mock" and "live"
are the whole JSON values (strings for headers) and are left out where that side has none.
"ignored" counts the places that differ but were ignored by a rule.

Exit status: 0 no differences, 1 differences found, 2 trouble (unreadable input, invalid
JSON (reported with line and column), bad option or pattern, failed request).`,
		Example: `  $ mockloop diff expected.json actual.json
  $ curl -s https://api.example.com/pets | mockloop diff pets.yaml -
  $ mockloop diff http://127.0.0.1:8080/pets https://api.example.com/pets -H 'Authorization: Bearer x' --compare-headers=all
  $ mockloop diff a.json b.json --ignore-field timestamp --ignore-field '$.data[*].id' --tolerance 0.01
  $ mockloop diff a.json b.json --plugin petstore -o json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO, opts.Store, opts.Client, opts.FetchTimeout = f.IOStreams, f.PluginStore(), f.HTTPClient, f.LoadOptions().FetchTimeout
			opts.A, opts.B = args[0], args[1]
			layer, err := opts.comparisonFlags.layer(cmd)
			if err != nil {
				return err
			}
			opts.Comparison = layer
			if err := checkOutput(opts.Output, "table", "json"); err != nil {
				return err
			}
			if opts.A == "-" && opts.B == "-" {
				return usageErrorf("only one of A and B can be '-' (standard input)")
			}
			for _, h := range opts.Headers {
				if name, _, ok := strings.Cut(h, ":"); !ok || strings.TrimSpace(name) == "" {
					return usageErrorf("invalid -H %q: want 'Name: value'", h)
				}
			}
			if opts.Plugin != "" {
				if err := plugin.ValidName(opts.Plugin); err != nil {
					return usageErrorf("--plugin: %v", err)
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return runDiff(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringArrayVarP(&opts.Headers, "header", "H", nil, "request header for URLs, 'Name: value' (repeatable)")
	cmd.Flags().StringVar(&opts.Plugin, "plugin", "", "use this plugin's comparison options")
	_ = cmd.RegisterFlagCompletionFunc("plugin", completePlugins(f))
	addComparisonFlags(cmd, &opts.comparisonFlags)
	addOutputFlag(cmd, &opts.Output, "table", "json")
	return cmd
}

func runDiff(ctx context.Context, opts *diffOptions) error {
	var base compare.Config
	if opts.Plugin != "" {
		p, err := opts.Store.Get(opts.Plugin)
		if err != nil {
			return err
		}
		base = p.Comparison
	}
	cmp, err := compare.Compile(compare.Merge(base, opts.Comparison))
	if err != nil {
		return usageErrorf("comparison options: %v", err)
	}
	a, err := readDiffInput(ctx, opts, opts.A)
	if err != nil {
		return err
	}
	b, err := readDiffInput(ctx, opts, opts.B)
	if err != nil {
		return err
	}
	var res compare.Result
	if a.resp != nil && b.resp != nil {
		res = cmp.Compare(*a.resp, *b.resp)
	} else {
		da, err := a.document()
		if err != nil {
			return err
		}
		db, err := b.document()
		if err != nil {
			return err
		}
		res = cmp.CompareDocuments(da, db)
	}
	out := opts.IO.Out
	if opts.Output == "json" {
		err = render.DiffJSON(out, res)
	} else {
		err = render.DiffTable(out, res, opts.IO.ColorEnabled())
	}
	if err != nil {
		return err
	}
	if !res.Equal() {
		return ErrFound
	}
	return nil
}

// diffInput is one side: a parsed document (files, stdin) or a fetched response (URLs).
type diffInput struct {
	name string
	doc  *compare.Document
	resp *compare.Response
}

// document is the side as a JSON document; a URL's body must be JSON.
func (in *diffInput) document() (*compare.Document, error) {
	if in.doc != nil {
		return in.doc, nil
	}
	d, err := compare.ParseJSON(in.resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s: response body is not JSON: %w", in.name, err)
	}
	return d, nil
}

func readDiffInput(ctx context.Context, opts *diffOptions, src string) (*diffInput, error) {
	if spec.IsHTTP(src) {
		return fetchDiffInput(ctx, opts, src)
	}
	name := src
	if src == "-" {
		name = "stdin"
	}
	data, err := iostreams.ReadInput(src, opts.IO.In, maxDiffInput)
	if err != nil {
		return nil, err
	}
	jsonData, err := toJSON(data, src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	doc, err := compare.ParseJSON(jsonData)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &diffInput{name: name, doc: doc}, nil
}

func fetchDiffInput(ctx context.Context, opts *diffOptions, target string) (*diffInput, error) {
	if opts.FetchTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.FetchTimeout)
		defer cancel()
	}
	name := redact.URL(target) // messages never show a password or a secret query value
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: invalid URL", name)
	}
	for _, h := range opts.Headers {
		name, value, _ := strings.Cut(h, ":")
		req.Header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	client := opts.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the method and URL
		}
		return nil, fmt.Errorf("GET %s: %w", name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDiffInput+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: read body: %w", name, err)
	}
	if len(body) > maxDiffInput {
		return nil, fmt.Errorf("GET %s: body larger than %d MiB", name, maxDiffInput>>20)
	}
	return &diffInput{name: name, resp: &compare.Response{
		Status: resp.StatusCode, Header: resp.Header, Body: body, ContentType: resp.Header.Get("Content-Type"),
	}}, nil
}

// toJSON returns data as JSON: .json files and content starting with '{' or '[' are JSON
// (so their syntax errors are reported as JSON errors), .yaml/.yml files are YAML, anything
// else is JSON when it parses as JSON and YAML otherwise.
func toJSON(data []byte, name string) ([]byte, error) {
	ext := strings.ToLower(filepath.Ext(name))
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	switch {
	case ext == ".yaml" || ext == ".yml":
		return yamldoc.ToJSON(data)
	case ext == ".json" || len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '['):
		return data, nil
	}
	if json.Valid(data) {
		return data, nil
	}
	if out, err := yamldoc.ToJSON(data); err == nil {
		return out, nil
	}
	return data, nil // not YAML either: the JSON parser reports where it fails
}
