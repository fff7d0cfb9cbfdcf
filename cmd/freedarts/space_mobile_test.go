package main

import (
	"strings"
	"testing"

	"github.com/freedarts/freedarts-gonb/spaces/mobile"
)

func TestSearchMobile(t *testing.T) {
	rep := searchJSON(t, "-space", "mobile", "-input", "16", "-classes", "10")
	if rep.Space != "mobile" || len(rep.Runs) != 1 {
		t.Fatalf("report %+v", rep)
	}
	if _, err := mobile.ParseArch(rep.Runs[0].Arch, 21); err != nil {
		t.Error(err)
	}
	if _, err := runCLI(t, "search", "-space", "mobile", "-cells", "8"); err == nil || !strings.Contains(err.Error(), "do not apply") {
		t.Errorf("-cells on mobile: %v", err)
	}
}
