package notebooktest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Environment variables of TestNotebooks.
const (
	// envRun enables TestNotebooks (any non-empty value).
	envRun = "FREEDARTS_NOTEBOOK_TEST"
	// envScreenshots=0 skips the HTML export and Chromium screenshots.
	envScreenshots = "FREEDARTS_SCREENSHOTS"
	// envNotebooks, if set, is a glob (relative to notebooks/) of the notebooks to run.
	envNotebooks = "FREEDARTS_NOTEBOOKS"
)

// Elements every screenshot notebook's HTML export must contain, per notebook.
var requiredHTML = map[string][]string{
	"00_kernel_check": {
		`<svg xmlns="http://www.w3.org/2000/svg" class="freedarts-heatmap"`,
		`<svg xmlns="http://www.w3.org/2000/svg" class="freedarts-cell"`,
		`class="freedarts-scatter"`,
		`class="freedarts-table"`,
		`class="freedarts-progress"`,
	},
	"01_scoring": {
		`<svg xmlns="http://www.w3.org/2000/svg" class="freedarts-heatmap"`,
		`class="freedarts-table"`,
	},
	"02_selection": {
		`<svg xmlns="http://www.w3.org/2000/svg" class="freedarts-cell"`,
		`class="freedarts-scatter"`,
		`class="freedarts-table"`,
		`class="freedarts-progress"`,
	},
	"03_depth_flexible_search": {
		`<svg xmlns="http://www.w3.org/2000/svg" class="freedarts-heatmap"`,
		`<svg xmlns="http://www.w3.org/2000/svg" class="freedarts-cell"`,
		`class="freedarts-table"`,
		`class="freedarts-progress"`,
	},
	"04_nb201_proxy_study": {
		`class="freedarts-scatter"`,
		`class="freedarts-table"`,
		`class="freedarts-progress"`,
	},
}

// Screenshot geometry.
const shotW, shotH = 1200, 3000

// repoRoot returns the repository root (two levels above this package).
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root not found: %v", err)
	}
	return root
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// run runs a command with a timeout and returns its combined output.
func run(t *testing.T, timeout time.Duration, dir string, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	// Debian's ipykernel imports debugpy, which warns about frozen modules: harmless noise.
	cmd.Env = append(os.Environ(), "PYDEVD_DISABLE_FILE_VALIDATION=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	t.Logf("%s %s: %v (%s)", filepath.Base(name), strings.Join(args, " "), time.Since(start).Round(100*time.Millisecond), errOr(err, "ok"))
	return out.String(), err
}

func errOr(err error, ok string) string {
	if err != nil {
		return err.Error()
	}
	return ok
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "[…]" + s[len(s)-n:]
}

// TestNotebooks executes every notebooks/*.ipynb with the GoNB kernel and checks it.
// See the package documentation.
func TestNotebooks(t *testing.T) {
	if os.Getenv(envRun) == "" {
		t.Skipf("notebook test skipped: it needs Jupyter, the GoNB kernel and Chromium "+
			"(scripts/setup/setup.sh --with-chromium); run scripts/notebook-test.sh, or set %s=1", envRun)
	}
	root := repoRoot(t)
	jupyter := envOr("JUPYTER", "/usr/bin/jupyter")
	if _, err := os.Stat(jupyter); err != nil {
		t.Fatalf("%s not found (%v): run scripts/setup/setup.sh", jupyter, err)
	}
	out, err := run(t, time.Minute, root, jupyter, "kernelspec", "list", "--json")
	if err != nil {
		t.Fatalf("jupyter kernelspec list: %v\n%s", err, out)
	}
	var specs struct {
		KernelSpecs map[string]struct {
			ResourceDir string `json:"resource_dir"`
			Spec        struct {
				Argv []string          `json:"argv"`
				Env  map[string]string `json:"env"`
			} `json:"spec"`
		} `json:"kernelspecs"`
	}
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &specs); err != nil {
		t.Fatalf("cannot parse jupyter kernelspec list --json: %v\n%s", err, out)
	}
	gonb, ok := specs.KernelSpecs["gonb"]
	if !ok || len(gonb.Spec.Argv) == 0 {
		t.Fatalf("GoNB kernel not registered (no \"gonb\" in jupyter kernelspec list): run scripts/setup/setup.sh\n%s", out)
	}
	if _, err := os.Stat(gonb.Spec.Argv[0]); err != nil {
		t.Fatalf("GoNB kernel binary missing (%v): run scripts/setup/setup.sh", err)
	}
	t.Logf("GoNB kernel: %s, PATH for the kernel: %q, GOTOOLCHAIN %q", gonb.Spec.Argv[0], gonb.Spec.Env["PATH"], gonb.Spec.Env["GOTOOLCHAIN"])
	// go.mod needs a newer Go than a fresh machine has: scripts/setup/setup.sh puts GOTOOLCHAIN
	// into the kernel's environment, so cells never build with whatever go PATH finds.
	if gonb.Spec.Env["GOTOOLCHAIN"] == "" {
		t.Fatalf("GoNB kernel spec (%s) sets no GOTOOLCHAIN: run scripts/setup/setup.sh", gonb.ResourceDir)
	}

	screenshots := os.Getenv(envScreenshots) != "0"
	chromium := envOr("CHROMIUM", "chromium")
	if screenshots {
		if chromium, err = exec.LookPath(chromium); err != nil {
			t.Fatalf("chromium not found (%v): run scripts/setup/setup.sh --with-chromium, or set %s=0", err, envScreenshots)
		}
	}

	files, err := filepath.Glob(filepath.Join(root, "notebooks", envOr(envNotebooks, "*.ipynb")))
	if err != nil || len(files) == 0 {
		t.Fatalf("no notebook matches notebooks/%s (%v)", envOr(envNotebooks, "*.ipynb"), err)
	}
	execDir := filepath.Join(root, "build", "notebooks")
	shotDir := filepath.Join(root, "build", "screenshots")
	for _, d := range []string{execDir, shotDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}

	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".ipynb")
		t.Run(name, func(t *testing.T) {
			executed := filepath.Join(execDir, name+".ipynb")
			_ = os.Remove(executed)
			// --allow-errors: keep executing and write the notebook, so that Check reports
			// every failing cell with its output.
			out, err := run(t, 30*time.Minute, filepath.Dir(file), jupyter, "nbconvert", "--to", "notebook", "--execute",
				"--allow-errors", "--ExecutePreprocessor.timeout=600", "--output-dir", execDir, file)
			if err != nil {
				t.Fatalf("nbconvert --execute failed: %v\n%s", err, tail(out, 4000))
			}
			data, err := os.ReadFile(executed)
			if err != nil {
				t.Fatalf("executed notebook not written: %v\n%s", err, tail(out, 4000))
			}
			problems, err := Check(data)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range problems {
				t.Errorf("%s: %s", name, p)
			}
			t.Logf("executed notebook: %s", executed)
			if !screenshots {
				return
			}

			// HTML export and screenshot.
			html := filepath.Join(shotDir, name+".html")
			_ = os.Remove(html)
			if out, err := run(t, 5*time.Minute, shotDir, jupyter, "nbconvert", "--to", "html", "--output-dir", shotDir, executed); err != nil {
				t.Fatalf("nbconvert --to html failed: %v\n%s", err, tail(out, 4000))
			}
			page, err := os.ReadFile(html)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range requiredHTML[name] {
				if !bytes.Contains(page, []byte(want)) {
					t.Errorf("HTML export %s does not contain %s", html, want)
				}
			}
			screenshotPages(t, chromium, html, page, shotDir, name)
		})
	}
}

// maxPages bounds the screenshots of one notebook.
const maxPages = 12

// screenshotPages shoots the HTML export page (read from html) window by
// window until a window comes out blank: name.png, then name-1.png, ... .
// Headless Chromium shoots the window only, so window k is a copy of the
// export shifted up by k window heights. The virtual time budget lets
// scripts (MathJax) finish before the shot.
func screenshotPages(t *testing.T, chromium, html string, page []byte, shotDir, name string) {
	t.Helper()
	if !bytes.Contains(page, []byte("</head>")) {
		t.Fatalf("HTML export %s has no </head>", html)
	}
	old, _ := filepath.Glob(filepath.Join(shotDir, name+"-*.png"))
	for _, f := range append(old, filepath.Join(shotDir, name+".png")) {
		_ = os.Remove(f)
	}
	for k := range maxPages {
		src, shot := html, filepath.Join(shotDir, name+".png")
		if k > 0 {
			shift := fmt.Sprintf("<style>html{margin-top:-%dpx}</style></head>", k*shotH)
			src = filepath.Join(t.TempDir(), name+".html")
			if err := os.WriteFile(src, bytes.Replace(page, []byte("</head>"), []byte(shift), 1), 0o644); err != nil {
				t.Fatal(err)
			}
			shot = filepath.Join(shotDir, fmt.Sprintf("%s-%d.png", name, k))
		}
		out, err := run(t, 3*time.Minute, shotDir, chromium, "--headless", "--no-sandbox", "--disable-gpu",
			"--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
			"--disable-sync", "--hide-scrollbars", "--user-data-dir="+t.TempDir(), "--screenshot="+shot,
			fmt.Sprintf("--window-size=%d,%d", shotW, shotH), "--virtual-time-budget=10000", "file://"+src)
		if err != nil {
			t.Fatalf("chromium screenshot failed: %v\n%s", err, tail(out, 4000))
		}
		if ink := inkFraction(t, shot); ink < 0.01 {
			if k == 0 {
				t.Fatalf("screenshot %s looks blank (%.2f%% non-white pixels)", shot, 100*ink)
			}
			_ = os.Remove(shot)
			t.Logf("screenshots: %d pages of %d px, %s first", k, shotH, filepath.Join(shotDir, name+".png"))
			return
		}
	}
	t.Logf("screenshots: the first %d pages of %s (the rest not shot)", maxPages, html)
}

// inkFraction checks that the PNG at path has the window's size and returns
// the fraction of non-white pixels on a grid: a rendered notebook page has
// text and figures, a page past the end has none.
func inkFraction(t *testing.T, path string) float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("screenshot not written: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot %s is not a PNG: %v", path, err)
	}
	b := img.Bounds()
	if b.Dx() != shotW || b.Dy() != shotH {
		t.Errorf("screenshot is %dx%d, want %dx%d", b.Dx(), b.Dy(), shotW, shotH)
	}
	var total, ink int
	for y := b.Min.Y; y < b.Max.Y; y += 4 {
		for x := b.Min.X; x < b.Max.X; x += 4 {
			r, g, bl, _ := img.At(x, y).RGBA()
			total++
			if r < 0xe000 || g < 0xe000 || bl < 0xe000 {
				ink++
			}
		}
	}
	return float64(ink) / float64(total)
}
