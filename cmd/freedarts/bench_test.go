package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/freedarts/freedarts-gonb/freedarts/backend"
	"github.com/freedarts/freedarts-gonb/freedarts/perf"
)

func TestBenchList(t *testing.T) {
	out, err := runCLI(t, "bench", "-list")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Fields(out); strings.Join(got, ",") != strings.Join(perf.StandardNames(), ",") {
		t.Errorf("-list printed %q", out)
	}
}

func TestBenchCaseSelection(t *testing.T) {
	if _, err := runCLI(t, "bench", "-cases", "nope"); err == nil || !strings.Contains(err.Error(), "unknown case") {
		t.Errorf("unknown case: %v", err)
	}
	if _, err := runCLI(t, "bench", "-repeat", "0", "-cases", "nb201-synflow", "-peak-size", "-1"); err == nil {
		t.Error("-repeat 0 accepted")
	}
}

// TestBenchRun runs the cheapest case as JSON and as a table, and a case
// whose space is not registered.
func TestBenchRun(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	out, err := runCLI(t, "bench", "-cases", "nb201-synflow", "-repeat", "1", "-peak-size", "128", "-json")
	if err != nil {
		t.Fatal(err)
	}
	var rep perf.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(rep.Results) != 1 || rep.Results[0].Skipped || rep.Results[0].Seconds <= 0 || rep.Results[0].ForwardFLOPs <= 0 {
		t.Fatalf("report %+v", rep)
	}

	saved := perf.Standard
	defer func() { perf.Standard = saved }()
	perf.Standard = append(perf.Standard, perf.CaseDef{Name: "ghost", Space: "no-such-space", Proxy: "synflow", Batch: 1})
	out, err = runCLI(t, "bench", "-cases", "nb201-synflow,ghost", "-repeat", "1", "-peak-size", "128", "-ops")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"backend " + backend.Default, "matmul peak (128x128)", "nb201-synflow", "ghost", `note: ghost skipped: unknown space "no-such-space"`, "nb201-synflow: scoring graph by op type"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}
