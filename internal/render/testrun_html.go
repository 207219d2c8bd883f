package render

import (
	"fmt"
	"html/template"
	"io"

	"github.com/mockloop/mockloop/internal/testrun"
)

// TestRunHTML writes a self-contained HTML report (inline CSS and SVG, no scripts, no external
// assets): the summary, every case run with its outcome, each failing run's reasons and
// differences, and per operation a latency chart (min, p50, p95, p99, max; mock vs live) with
// its metrics.
func TestRunHTML(w io.Writer, rep *testrun.Report) error {
	data := htmlReport{Report: rep, Summary: SummaryLine(rep), Baseline: BaselineLine(rep), Noise: NoiseLine(rep)}
	for i := range rep.Cases {
		r := &rep.Cases[i]
		if r.Outcome == testrun.OutcomeFail || len(r.Warnings) > 0 || len(r.Known) > 0 || len(r.Suppressed) > 0 {
			data.Details = append(data.Details, htmlDetail{Case: r, Diffs: testrunDiffRows(r), Known: append(knownLines(r), suppressedLines(r)...)})
		}
	}
	if rep.Metrics != nil {
		for _, o := range rep.Metrics.Operations {
			data.Charts = append(data.Charts, latencyChart(o))
		}
	}
	if err := testrunTemplate.Execute(w, data); err != nil {
		return fmt.Errorf("write html report: %w", err)
	}
	return nil
}

type htmlReport struct {
	Report   *testrun.Report
	Summary  string
	Baseline string
	Noise    string
	Details  []htmlDetail
	Charts   []htmlChart
}

type htmlDetail struct {
	Case  *testrun.CaseResult
	Diffs [][]string // location, kind, mock, live
	Known []string   // differences in the baseline, and those suppressed as learned noise
}

// htmlChart is one operation's latency chart, laid out in Go so the template only draws.
type htmlChart struct {
	Operation string
	Ratio     float64
	Mock      *testrun.Stats
	Live      *testrun.Stats
	Width     int
	Height    int
	Bars      []htmlBar
	Labels    []htmlLabel
	Axis      int // y of the baseline
}

type htmlBar struct {
	X, Y, W, H float64
	Class      string
	Title      string
}

type htmlLabel struct {
	X, Y float64
	Text string
}

func latencyChart(o testrun.OperationMetrics) htmlChart {
	const (
		width, height = 560, 170
		top, bottom   = 16, 30
		left          = 10
		group         = (width - 2*left) / 5
		bar           = 36
	)
	c := htmlChart{Operation: o.Operation, Ratio: o.LatencyRatio, Mock: o.Mock, Live: o.Live, Width: width, Height: height, Axis: height - bottom}
	values := func(s *testrun.Stats) []float64 {
		if s == nil {
			return nil
		}
		return []float64{s.MinMS, s.P50MS, s.P95MS, s.P99MS, s.MaxMS}
	}
	mv, lv := values(o.Mock), values(o.Live)
	peak := 0.0
	for _, v := range append(append([]float64{}, mv...), lv...) {
		peak = max(peak, v)
	}
	if peak == 0 {
		peak = 1
	}
	span := float64(height - top - bottom)
	names := []string{"min", "p50", "p95", "p99", "max"}
	for i, name := range names {
		gx := float64(left + i*group)
		c.Labels = append(c.Labels, htmlLabel{X: gx + float64(group)/2, Y: float64(height - bottom + 16), Text: name})
		for j, side := range []struct {
			vals  []float64
			class string
		}{{mv, "mock"}, {lv, "live"}} {
			if side.vals == nil {
				continue
			}
			v := side.vals[i]
			h := v / peak * span
			x := gx + float64(group)/2 - bar + float64(j*bar)
			c.Bars = append(c.Bars, htmlBar{
				X: x, Y: float64(height-bottom) - h, W: bar - 4, H: h, Class: side.class,
				Title: fmt.Sprintf("%s %s %s", side.class, name, formatMS(v)),
			})
			c.Labels = append(c.Labels, htmlLabel{X: x + (bar-4)/2, Y: float64(height-bottom) - h - 3, Text: formatMS(v)})
		}
	}
	return c
}

var testrunTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"ms":  formatMS,
	"pct": func(f float64) string { return fmt.Sprintf("%.1f%%", f*100) },
	"f1":  func(f float64) string { return fmt.Sprintf("%.1f", f) },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>mockloop test run: {{.Report.Spec}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em;color:#222;max-width:72em}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:2em}h3{font-size:1em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top;font-size:.9em}
th{background:#f4f4f4}code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85em;word-break:break-all}
.pass{color:#1a7f37;font-weight:bold}.fail{color:#cf222e;font-weight:bold}.skip{color:#9a6700;font-weight:bold}
.summary{font-size:1.1em;padding:.6em 1em;border-radius:4px;background:#f6f8fa;display:inline-block}
svg .mock{fill:#0969da}svg .live{fill:#fb8500}svg text{font-size:10px;text-anchor:middle;fill:#444}
.legend span{display:inline-block;width:.8em;height:.8em;margin:0 .3em 0 1em;vertical-align:middle}
</style>
</head>
<body>
<h1>mockloop test run</h1>
<p class="summary">{{.Summary}}</p>
{{- if .Noise}}
<p>{{.Noise}}</p>
{{- end}}
{{- if .Baseline}}
<p>{{.Baseline}}</p>
{{- with .Report.Baseline}}{{if .FixedDifferences}}
<ul>{{range .FixedDifferences}}<li>fixed: {{.Case}} <code>{{.Location}}</code> {{.Kind}}</li>{{end}}</ul>
{{- end}}{{end}}
{{- end}}
<table>
<tr><th>spec</th><td class="mono">{{.Report.Spec}}</td></tr>
{{- if .Report.Plugin}}<tr><th>plugin</th><td>{{.Report.Plugin}}</td></tr>{{end}}
<tr><th>mode</th><td>{{.Report.Mode}} ({{range $i, $s := .Report.Sides}}{{if $i}}, {{end}}{{$s}}{{end}})</td></tr>
<tr><th>validation</th><td>{{.Report.Validation}}</td></tr>
{{- if .Report.Shard}}<tr><th>shard</th><td>{{.Report.Shard}}</td></tr>{{end}}
<tr><th>started</th><td>{{.Report.StartedAt.Format "2006-01-02 15:04:05 UTC"}}</td></tr>
</table>

<h2>Cases</h2>
<table>
<tr><th>result</th><th>case</th><th>operation</th><th>mock</th><th>live</th></tr>
{{- range .Report.Cases}}
<tr><td class="{{.Outcome}}">{{if eq .FailureKind "error"}}error{{else}}{{.Outcome}}{{end}}</td><td>{{.DisplayName}}</td><td class="mono">{{.Operation}}</td>
<td>{{with .Mock}}{{if .Error}}error{{else}}{{.Status}}{{end}} · {{ms .LatencyMS}}{{else}}-{{end}}</td>
<td>{{with .Live}}{{if .Error}}error{{else}}{{.Status}}{{end}} · {{ms .LatencyMS}}{{else}}-{{end}}</td></tr>
{{- end}}
</table>

{{- if .Details}}
<h2>Failures, warnings, known and suppressed differences</h2>
{{- range .Details}}
<h3><span class="{{.Case.Outcome}}">{{if eq .Case.FailureKind "error"}}error{{else}}{{.Case.Outcome}}{{end}}</span> {{.Case.DisplayName}} <code>{{.Case.Operation}}</code></h3>
<ul>
{{- range .Case.Failures}}<li>{{.}}</li>{{end}}
{{- range .Case.Warnings}}<li>warning: {{.}}</li>{{end}}
{{- range .Known}}<li class="mono">{{.}}</li>{{end}}
</ul>
{{- if .Diffs}}
<table>
<tr><th>location</th><th>kind</th><th>mock</th><th>live</th></tr>
{{- range .Diffs}}
<tr>{{range .}}<td class="mono">{{.}}</td>{{end}}</tr>
{{- end}}
</table>
{{- end}}
{{- end}}
{{- end}}

{{- if .Charts}}
<h2>Latency per operation</h2>
<p class="legend"><span style="background:#0969da"></span>mock<span style="background:#fb8500"></span>live</p>
{{- range .Charts}}
<h3><code>{{.Operation}}</code>{{if .Ratio}} · live/mock p50 {{printf "%.2f" .Ratio}}x{{end}}</h3>
<svg xmlns="http://www.w3.org/2000/svg" width="{{.Width}}" height="{{.Height}}" viewBox="0 0 {{.Width}} {{.Height}}" role="img" aria-label="latency of {{.Operation}}">
<line x1="0" y1="{{.Axis}}" x2="{{.Width}}" y2="{{.Axis}}" stroke="#999"/>
{{- range .Bars}}
<rect class="{{.Class}}" x="{{printf "%.1f" .X}}" y="{{printf "%.1f" .Y}}" width="{{printf "%.1f" .W}}" height="{{printf "%.1f" .H}}"><title>{{.Title}}</title></rect>
{{- end}}
{{- range .Labels}}
<text x="{{printf "%.1f" .X}}" y="{{printf "%.1f" .Y}}">{{.Text}}</text>
{{- end}}
</svg>
<table>
<tr><th>side</th><th>count</th><th>min</th><th>p50</th><th>p95</th><th>p99</th><th>max</th><th>req/s</th><th>errors</th></tr>
{{- with .Mock}}<tr><td>mock</td><td>{{.Count}}</td><td>{{ms .MinMS}}</td><td>{{ms .P50MS}}</td><td>{{ms .P95MS}}</td><td>{{ms .P99MS}}</td><td>{{ms .MaxMS}}</td><td>{{f1 .Throughput}}</td><td>{{.Errors}} ({{pct .ErrorRate}})</td></tr>{{end}}
{{- with .Live}}<tr><td>live</td><td>{{.Count}}</td><td>{{ms .MinMS}}</td><td>{{ms .P50MS}}</td><td>{{ms .P95MS}}</td><td>{{ms .P99MS}}</td><td>{{ms .MaxMS}}</td><td>{{f1 .Throughput}}</td><td>{{.Errors}} ({{pct .ErrorRate}})</td></tr>{{end}}
</table>
{{- end}}
{{- end}}
</body>
</html>
`))
