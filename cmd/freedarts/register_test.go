package main

import (
	"bytes"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL

	"github.com/freedarts/freedarts-gonb/freedarts"
	"github.com/freedarts/freedarts-gonb/spaces/nn"
)

// TestOwnProxyCommand: a proxy registered in package main, as a user's own
// cmd/freedarts/proxy_NAME.go registers it (notebook 06, README), is a
// -proxy of search and correlate like a built-in, and listed by help.
func TestOwnProxyCommand(t *testing.T) {
	saliency := func(p *freedarts.Pass) []*Node {
		g := Gradient(ReduceAllSum(p.Logits), p.Targets...)
		for i, theta := range p.Targets {
			g[i] = Abs(Mul(theta, Log1p(Abs(g[i]))))
		}
		return g
	}
	err := freedarts.Register(freedarts.Criterion{
		Name: "test_logsynflow", Doc: "SynFlow with log(1+|dR/dtheta|) (a test's own proxy)",
		DType: freedarts.Float64, BN: nn.BNNone, Weights: freedarts.WeightsAbs,
		Saliency: saliency,
		Network: func(p *freedarts.Pass) *Node {
			s := saliency(p)
			for i := range s {
				s[i] = ReduceAllSum(s[i])
			}
			return nn.ReduceSumNodes(s)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	needFile(t, testBench)
	bench := testBench
	for _, args := range [][]string{
		{"search", "-proxy", "test_logsynflow", "-seed", "0", "-bench", bench},
		{"correlate", "-proxy", "test_logsynflow,synflow", "-sample", "3", "-bench", bench},
	} {
		var stdout, stderr bytes.Buffer
		if status := run(append(args, "-progress=false"), &stdout, &stderr); status != 0 || !strings.Contains(stdout.String(), "test_logsynflow") {
			t.Errorf("freedarts %s: status %d\nstdout %s\nstderr %s", strings.Join(args, " "), status, stdout.String(), stderr.String())
		}
	}
	var stdout, stderr bytes.Buffer
	run([]string{"help", "search"}, &stdout, &stderr)
	if help := stdout.String() + stderr.String(); !strings.Contains(help, "test_logsynflow") {
		t.Errorf("help search does not list the registered proxy:\n%s", help)
	}
}
