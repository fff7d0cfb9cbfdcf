// Package nilcase runs the tests that call a package's entry points with
// nil or zero inputs (nil pointers and interfaces, empty slices, zero
// structs, use after Close), each of which must return an error naming
// what it got and what it wanted, never panic. One runner for every
// package, so that each test is only its table.
package nilcase

import (
	"strings"
	"testing"
)

// Case is one call of an entry point with a nil or zero input.
type Case struct {
	// Name says which entry point and which input: "New(nil space)".
	Name string
	// Call makes the call and returns its error.
	Call func() error
	// Want is a part of the expected error's message.
	Want string
}

// New is the Case of name, which call must fail with an error containing
// want (a constructor, so that tables stay one line a case and vet-clean).
func New(name string, call func() error, want string) Case {
	return Case{Name: name, Call: call, Want: want}
}

// Run makes every call, each in a subtest, and fails the ones that panic
// (naming the entry point, which a bare panic would not), that return no
// error, or whose error does not contain Want.
func Run(t *testing.T, cases []Case) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s panicked: %v", c.Name, r)
				}
			}()
			err := c.Call()
			if err == nil || !strings.Contains(err.Error(), c.Want) {
				t.Errorf("%s: error %v, want one containing %q", c.Name, err, c.Want)
			}
		})
	}
}

// NoPanic calls each of calls, which have no error to return (accessors,
// Close), and fails the ones that panic: on a nil receiver they give the
// zero value.
func NoPanic(t *testing.T, calls map[string]func()) {
	t.Helper()
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s panicked: %v", name, r)
				}
			}()
			call()
		})
	}
}
