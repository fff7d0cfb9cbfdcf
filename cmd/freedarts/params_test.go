package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParamsDARTSV2(t *testing.T) {
	out, err := runCLI(t, "params", "-genotype", "DARTS_V2", "-channels", "36", "-cells", "20")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "parameters: 3349342 (3.35 M)") {
		t.Errorf("output:\n%s", out)
	}
	out, err = runCLI(t, "params", "-auxiliary", "-json")
	if err != nil {
		t.Fatal(err)
	}
	var rep paramsReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Params != 3825768 || rep.ParamsNoAux != 3349342 || !rep.Auxiliary {
		t.Errorf("report %+v", rep)
	}
}

func TestParamsErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"params", "-genotype", "Genotype(normal=[('conv', 0)])"}, `unknown op "conv"`},
		{[]string{"params", "-channels", "-2"}, "width C=-2"},
		{[]string{"params", "-auxiliary", "-cells", "8", "-input", "64"}, "auxiliary head"},
		{[]string{"params", "x"}, "unexpected arguments"},
	} {
		if _, err := runCLI(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.args, err, tc.want)
		}
	}
}
