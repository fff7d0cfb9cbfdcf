package kernel

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	// Registered, so that Recall gives a freedarts.Result of every built-in
	// space its typed Arch (darts.Genotype, mobile.Arch; nb201 is imported
	// by the study plots) even in a notebook that does not import them.
	_ "github.com/freedarts/freedarts-gonb/spaces/darts"
	_ "github.com/freedarts/freedarts-gonb/spaces/mobile"
)

// GoNB runs every cell as a new program: top-level declarations are kept
// from cell to cell, computed values are not. Keep and Recall hand values
// over as JSON files in the kernel's scratch directory ($GONB_TMP_DIR,
// removed when the kernel stops; outside GoNB a directory of this user
// under os.TempDir). A freedarts.Result comes back with its architecture
// typed again when its space's package is imported.

var keepName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// handoverPath is the file of name.
func handoverPath(name string) (string, error) {
	if !keepName.MatchString(name) || len(name) > 200 {
		return "", fmt.Errorf("kernel: name %q: want letters, digits, '.', '_' or '-' (it names a file)", name)
	}
	dir := os.Getenv("GONB_TMP_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), fmt.Sprintf("freedarts-kernel-%d", os.Getuid()))
	}
	return filepath.Join(dir, name+".json"), nil
}

// Keep saves v for later cells under name; Recall reads it back.
func Keep(name string, v any) error {
	path, err := handoverPath(name)
	if err != nil {
		return err
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("kernel: keep %q: %w", name, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("kernel: keep %q: %w", name, err)
	}
	// Written whole, then renamed: a cell interrupted half-way leaves the
	// previous value, never half a file.
	tmp, err := os.CreateTemp(filepath.Dir(path), name+".*.tmp")
	if err != nil {
		return fmt.Errorf("kernel: keep %q: %w", name, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("kernel: keep %q: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("kernel: keep %q: %w", name, err)
	}
	return os.Rename(tmp.Name(), path)
}

// Recall loads into v (a pointer) what Keep saved under name.
func Recall(name string, v any) error {
	path, err := handoverPath(name)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("kernel: no saved %q: run the cell that computes it first (%w)", name, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("kernel: saved %q: %w", name, err)
	}
	return nil
}
