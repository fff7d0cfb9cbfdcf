package notebooktest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// nb builds an executed-notebook JSON from cells given as maps.
func nb(t *testing.T, cells ...map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"cells": cells, "nbformat": 4, "nbformat_minor": 5, "metadata": map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mdCell(src ...string) map[string]any {
	return map[string]any{"cell_type": "markdown", "source": src, "metadata": map[string]any{}}
}

func codeCell(count any, src string, outputs ...map[string]any) map[string]any {
	if outputs == nil {
		outputs = []map[string]any{}
	}
	return map[string]any{"cell_type": "code", "source": src, "execution_count": count, "outputs": outputs, "metadata": map[string]any{}}
}

func stream(name string, text ...string) map[string]any {
	return map[string]any{"output_type": "stream", "name": name, "text": text}
}

func display(mime, data string) map[string]any {
	return map[string]any{"output_type": "display_data", "data": map[string]any{mime: data}, "metadata": map[string]any{}}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name         string
		notebook     []byte
		wantProblems []string // substrings, one per expected problem
	}{
		{"clean", nb(t,
			mdCell("# Title\n", "<!-- expect: Selected arch -->\n", "<!-- expect: class=\"freedarts-heatmap\" -->"),
			codeCell(1, "%%\nfmt.Println(1)", display("text/html", `<svg class="freedarts-heatmap"></svg>`), stream("stdout", "Selected ", "arch: x\n")),
			codeCell(nil, "  \n"), // empty cells are not executed
		), nil},
		{"error output", nb(t,
			codeCell(1, "x := ", map[string]any{"output_type": "error", "ename": "ERROR", "evalue": "failed to compile", "traceback": []string{"line 1"}}),
		), []string{`error output ERROR: failed to compile`}},
		{"panic in stderr", nb(t,
			codeCell(1, "panic(1)", stream("stderr", "panic: 1\n\ngoroutine 1 [running]:\n")),
		), []string{`stderr contains "panic:"`}},
		{"exit status", nb(t,
			codeCell(1, "!*false", stream("stdout", "exit status 1\n")),
		), []string{`contains "exit status"`}},
		{"cell killed", nb(t,
			codeCell(1, "%%\nplot()", stream("stderr", "signal: killed\n")),
		), []string{`stderr contains "signal: killed"`}},
		{"fatal runtime error", nb(t,
			codeCell(1, "x", stream("stderr", "fatal error: runtime: out of memory\n")),
		), []string{`contains "fatal error:"`}},
		{"missing expectation", nb(t,
			mdCell("<!-- expect: Drew 2 cells -->"),
			codeCell(3, "%%\nfmt.Println(\"Drew 1 cell\")", stream("stdout", "Drew 1 cell\n")),
		), []string{`output does not contain "Drew 2 cells" (expected by cell 0)`}},
		{"expectation applies to the next code cell only", nb(t,
			mdCell("<!-- expect: hello -->"),
			codeCell(1, "a", stream("stdout", "bye\n")),
			codeCell(2, "b", stream("stdout", "hello\n")),
		), []string{`cell 1 (code: "a"): output does not contain "hello"`}},
		{"dangling expectation", nb(t,
			codeCell(1, "a"),
			mdCell("<!-- expect: never -->"),
		), []string{"have no code cell after them"}},
		{"not executed", nb(t, codeCell(nil, "fmt.Println(1)")), []string{"not executed"}},
		{"markdown only", nb(t, mdCell("# only text")), []string{"no code cell"}},
		{"several problems", nb(t,
			mdCell("<!-- expect: A -->"),
			codeCell(1, "x", stream("stderr", "panic: boom\nexit status 2\n")),
		), []string{`"panic:"`, `"exit status"`, `does not contain "A"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			problems, err := Check(tc.notebook)
			if err != nil {
				t.Fatal(err)
			}
			if len(problems) != len(tc.wantProblems) {
				t.Fatalf("got %d problems, want %d:\n%s", len(problems), len(tc.wantProblems), strings.Join(problems, "\n---\n"))
			}
			for i, want := range tc.wantProblems {
				if !strings.Contains(problems[i], want) {
					t.Errorf("problem %d = %q, want it to contain %q", i, problems[i], want)
				}
			}
		})
	}
}

func TestCheckInvalid(t *testing.T) {
	if _, err := Check([]byte("{not json")); err == nil {
		t.Error("no error for invalid JSON")
	}
	if _, err := Check([]byte(`{"cells": []}`)); err == nil {
		t.Error("no error for a notebook without cells")
	}
}

func TestExpectations(t *testing.T) {
	got := Expectations("text\n<!-- expect: Selected arch -->\n  <!--expect:a b-->  \n<!-- expect: -->\n" +
		"<!-- other comment -->\nProse mentions `<!-- expect: TEXT -->` mid-line.\n<!-- expect: x --> <!-- expect: y -->\n<!-- expect: last -->")
	if strings.Join(got, "|") != "Selected arch|a b|last" {
		t.Errorf("Expectations = %q", got)
	}
}

// TestNotebookSources checks the committed notebooks without running them: valid
// nbformat 4 JSON for the GoNB kernel, no stored outputs, the local-checkout recipe in
// the first code cell, no code cell over maxCellLines, and at least one expectation.
// With -v it logs each notebook's code lines (codeLines).
func TestNotebookSources(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot(t), "notebooks", "*.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no notebooks/*.ipynb")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var meta struct {
				NBFormat int `json:"nbformat"`
				Metadata struct {
					KernelSpec struct {
						Name string `json:"name"`
					} `json:"kernelspec"`
				} `json:"metadata"`
			}
			if err := json.Unmarshal(data, &meta); err != nil {
				t.Fatalf("invalid JSON: %v", err)
			}
			if meta.NBFormat != 4 || meta.Metadata.KernelSpec.Name != "gonb" {
				t.Errorf("nbformat %d, kernel %q: want nbformat 4 and kernel \"gonb\"", meta.NBFormat, meta.Metadata.KernelSpec.Name)
			}
			var n Notebook
			if err := json.Unmarshal(data, &n); err != nil {
				t.Fatal(err)
			}
			first, expectations, total := "", 0, 0
			for _, c := range n.Cells {
				if c.CellType == "code" {
					if first == "" {
						first = string(c.Source)
					}
					n := codeLines(string(c.Source))
					total += n
					if n > maxCellLines {
						t.Errorf("code cell %q has %d code lines, want at most %d: move what it re-derives into the library or split it", firstLine(string(c.Source)), n, maxCellLines)
					}
					if len(c.Outputs) > 0 || c.ExecutionCount != nil {
						t.Errorf("code cell %q has stored outputs: commit notebooks cleared", firstLine(string(c.Source)))
					}
				}
				expectations += len(Expectations(string(c.Source)))
			}
			if !strings.Contains(first, "scripts/setup/workspace.sh") || !strings.Contains(first, "%goworkfix") {
				t.Errorf("first code cell does not use the local checkout (scripts/setup/workspace.sh + %%goworkfix):\n%s", first)
			}
			if expectations == 0 {
				t.Errorf("no <!-- expect: … --> line")
			}
			t.Logf("%d code lines", total)
		})
	}
}

// maxCellLines bounds a notebook code cell: a cell longer than this is
// re-deriving what the library should hand it.
const maxCellLines = 20

// codeLines counts the lines of a code cell that are Go: not blank, not
// only a comment, not a GoNB magic (%%, %goworkfix, !*bash ...).
func codeLines(src string) int {
	n := 0
	for line := range strings.Lines(src) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "//") || strings.HasPrefix(line, "%") || strings.HasPrefix(line, "!") {
			continue
		}
		n++
	}
	return n
}

// TestNotebookHelpersDefinedOnce: a function a notebook needs that another
// notebook needs too belongs in the library, not in both notebooks; and
// notebooks handle errors with must (as GoMLX's do), not with
// `if err != nil { panic(err) }`.
func TestNotebookHelpersDefinedOnce(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot(t), "notebooks", "*.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	funcDecl := regexp.MustCompile(`(?m)^func (?:\([^)]*\) )?([A-Za-z_]\w*)`)
	panicErr := regexp.MustCompile(`if err != nil \{\s*panic\(err\)`)
	definedIn := map[string]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var n Notebook
		if err := json.Unmarshal(data, &n); err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		seen := map[string]bool{}
		for _, c := range n.Cells {
			if c.CellType != "code" {
				continue
			}
			src := string(c.Source)
			if panicErr.MatchString(src) {
				t.Errorf("%s: `if err != nil { panic(err) }` in cell %q: use must.M / must.M1", name, firstLine(src))
			}
			for _, m := range funcDecl.FindAllStringSubmatch(src, -1) {
				fn := m[0] // with its receiver: methods of different types may share a name
				if seen[fn] {
					continue
				}
				seen[fn] = true
				if other, ok := definedIn[fn]; ok {
					t.Errorf("%q is defined in %s and %s: move it into the library", fn, other, name)
				}
				definedIn[fn] = name
			}
		}
	}
}
