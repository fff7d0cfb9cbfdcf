package darts

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	boundedquote "github.com/freedarts/freedarts-gonb/internal/quote"
)

// ParseGenotype reads a genotype as the DARTS code prints it:
//
//	Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ...], normal_concat=[2, 3, 4, 5],
//	         reduce=[('max_pool_3x3', 0), ...], reduce_concat=[2, 3, 4, 5])
//
// It also accepts what Python would: any whitespace, double quotes, fields
// in any order, trailing commas, tuples for lists, a "genotypes." prefix and
// concat written range(2, 6) (or range(6)). All four fields are required.
// The genotype is validated (see Genotype.Validate); errors name the offset
// (in characters, from 0) and the token at fault, quoted and cut to
// quoteLimit characters: a genotype is user input of any length.
func ParseGenotype(s string) (Genotype, error) {
	p := &parser{src: s}
	g, err := p.genotype()
	if err != nil {
		return Genotype{}, fmt.Errorf("darts: parsing genotype: %w", err)
	}
	if err := g.Validate(); err != nil {
		return Genotype{}, err
	}
	return g, nil
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokIdent
	tokInt
	tokString
	tokPunct // one of ( ) [ ] , =
)

type token struct {
	kind tokKind
	text string // the source text (a string's without quotes)
	pos  int
}

// quoteLimit is the most characters of a genotype's text an error repeats.
const quoteLimit = 40

func (t token) String() string {
	switch t.kind {
	case tokEOF:
		return "end of input"
	case tokString:
		return boundedquote.Max("'"+t.text+"'", quoteLimit)
	}
	return boundedquote.Max(t.text, quoteLimit)
}

type parser struct {
	src  string
	pos  int
	peek *token
}

func (p *parser) errorf(t token, format string, args ...any) error {
	return fmt.Errorf("offset %d, token %s: %s", p.offset(t.pos), t, fmt.Sprintf(format, args...))
}

// offset is the byte position pos of the source in characters, as an
// editor counts them (a genotype may hold any UTF-8).
func (p *parser) offset(pos int) int { return utf8.RuneCountInString(p.src[:pos]) }

// next returns the next token.
func (p *parser) next() (token, error) {
	if p.peek != nil {
		t := *p.peek
		p.peek = nil
		return t, nil
	}
	for p.pos < len(p.src) && strings.IndexByte(" \t\r\n", p.src[p.pos]) >= 0 {
		p.pos++
	}
	start := p.pos
	if start == len(p.src) {
		return token{kind: tokEOF, pos: start}, nil
	}
	c := p.src[start]
	switch {
	case strings.IndexByte("()[],=", c) >= 0:
		p.pos++
		return token{tokPunct, string(c), start}, nil
	case c == '\'' || c == '"':
		end := strings.IndexByte(p.src[start+1:], c)
		if end < 0 {
			return token{}, fmt.Errorf("offset %d: unterminated string %s", p.offset(start), boundedquote.Max(p.src[start:], quoteLimit))
		}
		text := p.src[start+1 : start+1+end]
		if strings.ContainsAny(text, "\\\n") {
			return token{}, fmt.Errorf("offset %d: string %s: escapes and newlines are not supported", p.offset(start), boundedquote.Max(p.src[start:start+end+2], quoteLimit))
		}
		p.pos = start + end + 2
		return token{tokString, text, start}, nil
	case c >= '0' && c <= '9':
		for p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
			p.pos++
		}
		return token{tokInt, p.src[start:p.pos], start}, nil
	case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		for p.pos < len(p.src) && isIdentByte(p.src[p.pos]) {
			p.pos++
		}
		return token{tokIdent, p.src[start:p.pos], start}, nil
	}
	// The character, not its first byte: a full-width parenthesis (U+FF08)
	// is "'（' (U+FF08)", not 'ï'.
	r, size := utf8.DecodeRuneInString(p.src[start:])
	if r == utf8.RuneError && size <= 1 {
		return token{}, fmt.Errorf("offset %d: byte %#02x is not UTF-8 text", p.offset(start), c)
	}
	return token{}, fmt.Errorf("offset %d: unexpected character %q (%U) in %s", p.offset(start), r, r, boundedquote.Max(p.src[start:], 10))
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func (p *parser) unread(t token) { p.peek = &t }

// expect reads a punctuation token and checks it is one of want.
func (p *parser) expect(want string) (token, error) {
	t, err := p.next()
	if err != nil {
		return t, err
	}
	if t.kind != tokPunct || !strings.Contains(want, t.text) {
		return t, p.errorf(t, "want %s", quoteAlternatives(want))
	}
	return t, nil
}

func quoteAlternatives(chars string) string {
	parts := make([]string, len(chars))
	for i := range chars {
		parts[i] = strconv.Quote(chars[i : i+1])
	}
	return strings.Join(parts, " or ")
}

func (p *parser) integer() (int, error) {
	t, err := p.next()
	if err != nil {
		return 0, err
	}
	if t.kind != tokInt {
		return 0, p.errorf(t, "want an integer")
	}
	v, err := strconv.Atoi(t.text)
	if err != nil || v > 1<<20 {
		return 0, p.errorf(t, "integer out of range")
	}
	return v, nil
}

// sequence parses "[" item, ... "]" or "(" item, ... ")" (the brackets
// opens allows) with an optional trailing comma.
func (p *parser) sequence(opens string, item func() error) error {
	open, err := p.expect(opens)
	if err != nil {
		return err
	}
	closing := map[string]string{"[": "]", "(": ")"}[open.text]
	for {
		t, err := p.next()
		if err != nil {
			return err
		}
		if t.kind == tokPunct && t.text == closing {
			return nil
		}
		p.unread(t)
		if err := item(); err != nil {
			return err
		}
		sep, err := p.expect("," + closing)
		if err != nil {
			return err
		}
		if sep.text == closing {
			return nil
		}
	}
}

func (p *parser) pairs() ([]Pair, error) {
	var out []Pair
	err := p.sequence("[(", func() error {
		if _, err := p.expect("(["); err != nil {
			return err
		}
		t, err := p.next()
		if err != nil {
			return err
		}
		if t.kind != tokString {
			return p.errorf(t, "want a quoted op name")
		}
		if _, err := OpIndex(t.text); err != nil {
			return p.errorf(t, "unknown op %s (want one of %s)", boundedquote.Max(t.text, quoteLimit), strings.Join(Ops[:], ", "))
		}
		if _, err := p.expect(","); err != nil {
			return err
		}
		in, err := p.integer()
		if err != nil {
			return err
		}
		if _, err := p.expect(")]"); err != nil {
			return err
		}
		out = append(out, Pair{t.text, in})
		return nil
	})
	return out, err
}

func (p *parser) concat() ([]int, error) {
	t, err := p.next()
	if err != nil {
		return nil, err
	}
	if t.kind == tokIdent {
		if t.text != "range" {
			return nil, p.errorf(t, "want a list of states or range(start, stop)")
		}
		var args []int
		if err := p.sequence("(", func() error {
			v, err := p.integer()
			args = append(args, v)
			return err
		}); err != nil {
			return nil, err
		}
		lo, hi := 0, 0
		switch len(args) {
		case 1:
			hi = args[0]
		case 2:
			lo, hi = args[0], args[1]
		default:
			return nil, p.errorf(t, "range takes 1 or 2 arguments, got %d", len(args))
		}
		if hi-lo > 64 {
			return nil, p.errorf(t, "range(%d, %d) is too long", lo, hi)
		}
		var out []int
		for v := lo; v < hi; v++ {
			out = append(out, v)
		}
		return out, nil
	}
	p.unread(t)
	var out []int
	err = p.sequence("[(", func() error {
		v, err := p.integer()
		out = append(out, v)
		return err
	})
	return out, err
}

func (p *parser) genotype() (Genotype, error) {
	var g Genotype
	t, err := p.next()
	if err != nil {
		return g, err
	}
	if t.kind != tokIdent || (t.text != "Genotype" && t.text != "genotypes.Genotype") {
		return g, p.errorf(t, "want Genotype(normal=[...], normal_concat=[...], reduce=[...], reduce_concat=[...])")
	}
	seen := map[string]bool{}
	err = p.sequence("(", func() error {
		name, err := p.next()
		if err != nil {
			return err
		}
		if name.kind != tokIdent {
			return p.errorf(name, "want a field name (normal, normal_concat, reduce, reduce_concat)")
		}
		if seen[name.text] {
			return p.errorf(name, "field %s given twice", name.text)
		}
		seen[name.text] = true
		if _, err := p.expect("="); err != nil {
			return err
		}
		switch name.text {
		case "normal":
			g.Normal, err = p.pairs()
		case "reduce":
			g.Reduce, err = p.pairs()
		case "normal_concat":
			g.NormalConcat, err = p.concat()
		case "reduce_concat":
			g.ReduceConcat, err = p.concat()
		default:
			return p.errorf(name, "unknown field (want normal, normal_concat, reduce, reduce_concat)")
		}
		return err
	})
	if err != nil {
		return Genotype{}, err
	}
	if t, err := p.next(); err != nil || t.kind != tokEOF {
		if err != nil {
			return Genotype{}, err
		}
		return Genotype{}, p.errorf(t, "unexpected text after the genotype")
	}
	for _, f := range []string{"normal", "normal_concat", "reduce", "reduce_concat"} {
		if !seen[f] {
			return Genotype{}, fmt.Errorf("missing field %s", f)
		}
	}
	return g, nil
}
