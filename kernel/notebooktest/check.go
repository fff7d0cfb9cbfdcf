// Package notebooktest checks the notebooks of notebooks/: its test TestNotebooks
// executes every notebooks/*.ipynb headless with the real GoNB kernel (jupyter
// nbconvert --execute), fails on error outputs, panics, "exit status" messages and
// missing expected output, renders each executed notebook to HTML and takes a headless
// Chromium screenshot into build/screenshots/.
//
// TestNotebooks needs a machine set up with `scripts/setup/setup.sh --with-chromium`, so it
// only runs when FREEDARTS_NOTEBOOK_TEST=1 (scripts/notebook-test.sh sets it); a plain
// `go test ./...` skips it with a message. The notebook checker itself (Check) is
// tested everywhere.
//
// Expected output: a Markdown cell may hold lines (each on its own line)
//
//	<!-- expect: TEXT -->
//
// (invisible once rendered); TEXT must then appear in the outputs (stream text, or the
// text/plain, text/html or text/markdown data) of the next code cell.
package notebooktest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// Notebook is the part of the nbformat 4 JSON that the checks read.
type Notebook struct {
	Cells []Cell `json:"cells"`
}

// Cell is one notebook cell.
type Cell struct {
	CellType       string   `json:"cell_type"`
	Source         Text     `json:"source"`
	ExecutionCount *int     `json:"execution_count"`
	Outputs        []Output `json:"outputs"`
}

// Output is one output of a code cell.
type Output struct {
	OutputType string          `json:"output_type"` // stream, display_data, execute_result, error
	Name       string          `json:"name"`        // stream: stdout or stderr
	Text       Text            `json:"text"`        // stream
	Data       map[string]Text `json:"data"`        // display_data, execute_result
	EName      string          `json:"ename"`       // error
	EValue     string          `json:"evalue"`      // error
	Traceback  []string        `json:"traceback"`   // error
}

// Text is a multi-line string, stored by nbformat as a string or a list of strings.
type Text string

// UnmarshalJSON accepts a string or a list of strings (joined). Other JSON values
// (e.g. the JSON data of an application/json output) are kept as their JSON text.
func (t *Text) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*t = Text(s)
		return nil
	}
	var parts []string
	if err := json.Unmarshal(b, &parts); err == nil {
		*t = Text(strings.Join(parts, ""))
		return nil
	}
	*t = Text(b)
	return nil
}

// forbidden are substrings that fail a notebook when found in stream output:
// a Go panic, a non-zero exit, a fatal runtime error (out of memory, a
// deadlock) or a cell process killed by a signal (the kernel's OOM killer).
var forbidden = []string{"panic:", "exit status", "fatal error:", "signal: killed"}

// textMIMEs are the output data types searched for expected text.
var textMIMEs = []string{"text/plain", "text/html", "text/markdown"}

var tagRE = regexp.MustCompile(`<[^>]*>`)

var expectRE = regexp.MustCompile(`(?m)^[ \t]*<!--[ \t]*expect:[ \t]*(.*?)[ \t]*-->[ \t]*$`)

// Expectations returns the texts of the `<!-- expect: TEXT -->` lines of a Markdown
// source (each on a line of its own, so that prose can mention the syntax).
func Expectations(markdown string) []string {
	var out []string
	for _, m := range expectRE.FindAllStringSubmatch(markdown, -1) {
		if m[1] != "" && !strings.Contains(m[1], "-->") {
			out = append(out, m[1])
		}
	}
	return out
}

// outputText concatenates everything a code cell printed or displayed as text.
func outputText(c Cell) string {
	var b strings.Builder
	for _, o := range c.Outputs {
		b.WriteString(string(o.Text))
		for _, mime := range textMIMEs {
			b.WriteString(string(o.Data[mime]))
		}
		b.WriteString(o.EName + " " + o.EValue)
		b.WriteString("\n")
	}
	return b.String()
}

// firstLine returns the first non-empty line of s, shortened, to name a cell.
func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			if len(l) > 60 {
				l = l[:60] + "…"
			}
			return l
		}
	}
	return "(empty)"
}

// Check parses an executed notebook and returns one message per problem found: error
// outputs, forbidden stream text (panic:, exit status), code cells that did not run
// and expectations that the next code cell's outputs do not meet.
func Check(executed []byte) ([]string, error) {
	var nb Notebook
	if err := json.Unmarshal(executed, &nb); err != nil {
		return nil, fmt.Errorf("executed notebook is not valid JSON: %w", err)
	}
	if len(nb.Cells) == 0 {
		return nil, fmt.Errorf("executed notebook has no cells")
	}
	var problems []string
	var pending []string // expectations waiting for the next code cell
	pendingFrom := -1
	codeCells := 0
	for i, c := range nb.Cells {
		where := fmt.Sprintf("cell %d (%s: %q)", i, c.CellType, firstLine(string(c.Source)))
		switch c.CellType {
		case "markdown":
			if exp := Expectations(string(c.Source)); len(exp) > 0 {
				if len(pending) > 0 {
					problems = append(problems, fmt.Sprintf("cell %d: expectations %q are followed by another Markdown cell with expectations before any code cell", pendingFrom, pending))
				}
				pending, pendingFrom = exp, i
			}
		case "code":
			codeCells++
			if strings.TrimSpace(string(c.Source)) != "" && c.ExecutionCount == nil {
				problems = append(problems, where+": not executed")
			}
			for _, o := range c.Outputs {
				switch o.OutputType {
				case "error":
					// GoNB shows compiler messages in an HTML output next to the error.
					problems = append(problems, fmt.Sprintf("%s: error output %s: %s\ncell output:\n%s",
						where, o.EName, o.EValue, abbreviate(tagRE.ReplaceAllString(outputText(c), ""), 3000)))
				case "stream":
					for _, f := range forbidden {
						if strings.Contains(string(o.Text), f) {
							problems = append(problems, fmt.Sprintf("%s: %s contains %q:\n%s", where, o.Name, f, o.Text))
						}
					}
				}
			}
			if len(pending) > 0 {
				out := outputText(c)
				for _, e := range pending {
					if !strings.Contains(out, e) {
						problems = append(problems, fmt.Sprintf("%s: output does not contain %q (expected by cell %d); output:\n%s", where, e, pendingFrom, abbreviate(out, 1500)))
					}
				}
				pending = nil
			}
		}
	}
	if len(pending) > 0 {
		problems = append(problems, fmt.Sprintf("cell %d: expectations %q have no code cell after them", pendingFrom, pending))
	}
	if codeCells == 0 {
		problems = append(problems, "no code cell")
	}
	return problems, nil
}

// abbreviate shortens s to about n bytes, keeping its start and end.
func abbreviate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n/2] + "\n[…]\n" + s[len(s)-n/2:]
}
