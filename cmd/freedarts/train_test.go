package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestTrainCLI trains a 2-cell C=8 DARTS-V2 network for one epoch on 128
// sample images.
func TestTrainCLI(t *testing.T) {
	needFile(t, testData)
	out, err := runCLI(t, "train", "-genotype", "DARTS_V2", "-data", testData, "-cells", "2", "-channels", "8",
		"-limit", "128", "-test-limit", "100", "-batch", "32", "-epochs", "1", "-auxiliary", "-json")
	if err != nil {
		t.Fatal(err)
	}
	var rep trainReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(rep.Epochs) != 1 || !rep.Epochs[0].Tested || rep.Images != 128 || !strings.HasSuffix(rep.Test, "test_first1000.bin") {
		t.Fatalf("report %+v", rep)
	}
	if e := rep.Epochs[0]; !(e.TrainLoss > 0) || e.TestAcc < 0 || e.TestAcc > 100 {
		t.Errorf("epoch %+v", e)
	}
	if rep.PeakRSSMB <= 0 {
		t.Logf("no peak RSS (not Linux?)")
	}
}

func TestTrainErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"train"}, "-genotype is required"},
		{[]string{"train", "-genotype", "DARTS_V3"}, "want Genotype("},
		{[]string{"train", "-genotype", "DARTS_V2", "-data", "/nonexistent"}, `-data "/nonexistent"`},
	} {
		if _, err := runCLI(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.args, err, tc.want)
		}
	}
}
