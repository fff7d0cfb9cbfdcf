package kernel

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Table returns an HTML table (class "freedarts-table") with the given header row and
// body rows. Every string is escaped with html.EscapeString. Rows may have different
// lengths: short rows (and a short header) are padded with empty cells. A body cell of
// at most nowrapRunes characters (a name, a number, a cell's ops) stays on one line;
// longer ones, and headers, wrap.
func Table(headers []string, rows [][]string) string {
	n := tableWidth(headers, rows)
	var b strings.Builder
	b.WriteString(`<table class="freedarts-table" style="border-collapse:collapse;font-family:sans-serif;font-size:13px">`)
	b.WriteString("\n")
	if len(headers) > 0 {
		b.WriteString("<thead>")
		tableRow(&b, "th", "border-bottom:2px solid #444", headers, n)
		b.WriteString("</thead>\n")
	}
	b.WriteString("<tbody>\n")
	for _, row := range rows {
		tableRow(&b, "td", "border-bottom:1px solid #ddd", row, n)
		b.WriteString("\n")
	}
	b.WriteString("</tbody>\n</table>")
	return b.String()
}

// nowrapRunes is the longest body cell of a Table kept on one line.
const nowrapRunes = 32

// tableRow writes one row of n cells of kind tag (th or td); cells past the
// end of the row are left empty.
func tableRow(b *strings.Builder, tag, border string, cells []string, n int) {
	b.WriteString("<tr>")
	for j := range n {
		cell := ""
		if j < len(cells) {
			cell = cells[j]
		}
		nowrap := ""
		if tag == "td" && cell != "" && utf8.RuneCountInString(cell) <= nowrapRunes {
			nowrap = ";white-space:nowrap"
		}
		fmt.Fprintf(b, `<%s style="%s;padding:3px 10px;text-align:left%s">`, tag, border, nowrap)
		b.WriteString(esc(cell))
		fmt.Fprintf(b, "</%s>", tag)
	}
	b.WriteString("</tr>")
}

// ShowTable displays Table(headers, rows) in the notebook, or writes an aligned text
// table to TextOutput outside GoNB.
func ShowTable(headers []string, rows [][]string) error {
	return show(Table(headers, rows), tableText(headers, rows, false))
}

// tableWidth is the number of columns of a possibly ragged table.
func tableWidth(headers []string, rows [][]string) int {
	n := len(headers)
	for _, r := range rows {
		n = max(n, len(r))
	}
	return n
}

// tableText renders an aligned plain-text table. With rightAlign, all columns but the
// first are right-aligned (for numbers).
func tableText(headers []string, rows [][]string, rightAlign bool) string {
	n := tableWidth(headers, rows)
	if n == 0 {
		return ""
	}
	widths := make([]int, n)
	measure := func(r []string) {
		for j, s := range r {
			widths[j] = max(widths[j], len([]rune(s)))
		}
	}
	measure(headers)
	for _, r := range rows {
		measure(r)
	}
	var b strings.Builder
	line := func(r []string) {
		parts := make([]string, n)
		for j := 0; j < n; j++ {
			s := ""
			if j < len(r) {
				s = r[j]
			}
			if rightAlign && j > 0 {
				parts[j] = padLeft(s, widths[j])
			} else {
				parts[j] = padRight(s, widths[j])
			}
		}
		b.WriteString(strings.TrimRight(strings.Join(parts, "  "), " "))
		b.WriteString("\n")
	}
	if len(headers) > 0 {
		line(headers)
		total := 0
		for _, w := range widths {
			total += w
		}
		b.WriteString(strings.Repeat("-", total+2*(n-1)))
		b.WriteString("\n")
	}
	for _, r := range rows {
		line(r)
	}
	return b.String()
}
