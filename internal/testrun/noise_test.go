package testrun

import (
	"context"
	"testing"

	"github.com/mockloop/mockloop/internal/compare"
)

// fakeNoise ignores $.name on getPet.
type fakeNoise struct{}

func (fakeNoise) Layer(op string) compare.Config {
	if op == "GET /pets/{petId}" {
		return compare.Config{IgnoreFields: []string{"$.name"}}
	}
	return compare.Config{}
}
func (fakeNoise) Why(op string, d compare.Difference) string { return "learned noise: " + d.Location }
func (fakeNoise) Summary() NoiseSummary                      { return NoiseSummary{Samples: 3} }

func TestRunSubtractsNoise(t *testing.T) {
	mockSide := &HandlerSide{Label: SideMock, Handler: answers(map[string]string{
		"/pets": `200 [{"id":1,"name":"a"}]`, "/pets/1": `200 {"id":1,"name":"a"}`, "/pets/2": `200 {"id":2,"name":"b"}`,
	})}
	liveSide := &HandlerSide{Label: SideLive, Handler: answers(map[string]string{
		"/pets": `200 [{"id":1,"name":"A"}]`, "/pets/1": `200 {"id":1,"name":"A"}`, "/pets/2": `200 {"id":3,"name":"B"}`,
	})}
	rep := Run(context.Background(), boundPlan(t, baselinePlan), Options{Mock: mockSide, Live: liveSide, Noise: fakeNoise{}})
	list, one, two := rep.Cases[0], rep.Cases[1], rep.Cases[2]
	if list.Outcome != OutcomeFail || len(list.Suppressed) != 0 {
		t.Errorf("listPets has no learned noise: %+v", list)
	}
	if one.Outcome != OutcomePass || len(one.Suppressed) != 1 || one.Suppressed[0].Location != "$.name" || one.Suppressed[0].Reason != "learned noise: $.name" {
		t.Errorf("getPet 1: %+v", one)
	}
	if two.Outcome != OutcomeFail || len(two.Differences) != 1 || two.Differences[0].Location != "$.id" || len(two.Suppressed) != 1 {
		t.Errorf("getPet 2: %+v", two)
	}
	if rep.Noise == nil || rep.Noise.Suppressed != 2 || rep.Noise.Samples != 3 {
		t.Errorf("noise summary: %+v", rep.Noise)
	}
}
