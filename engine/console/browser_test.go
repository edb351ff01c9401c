package console_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/internal/testenv"
)

// chromium finds Debian's chromium (.ci/chromium.sh installs it); without
// it the test skips, or fails when CI=true.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	testenv.Missing(t, "no chromium on PATH: run .ci/chromium.sh (apt-get install -y chromium)")
	return ""
}

func browser(t *testing.T, width int) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancel3)
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), 900)))
	return ctx
}

// screenshotDir is where the browser test writes its screenshots:
// $CONSOLE_SCREENSHOTS, or a fixed folder under the temporary directory.
func screenshotDir(t *testing.T) string {
	dir := os.Getenv("CONSOLE_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "pipeline-console-screenshots")
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// TestBrowserConsole drives headless Chromium: the overview grid, a run
// page that shows a log line appended while it is open, and screenshots
// at 1400 and 390 px.
func TestBrowserConsole(t *testing.T) {
	st := seed(t)
	seedMany(t, st, 8, []string{"internal", "staging", "production"}, 2)
	srv := newServer(t, st)
	dir := screenshotDir(t)
	t.Logf("screenshots in %s", dir)

	for i, width := range []int{1400, 390} {
		ctx := browser(t, width)
		require.NoError(t, chromedp.Do(ctx,
			chromedp.Navigate(srv.URL+"/"),
			chromedp.WaitVisible(chromedp.CSS("table.grid"))))
		grid := run(t, ctx, chromedp.Text(chromedp.CSS("table.grid thead")))
		require.Contains(t, strings.ToLower(grid), "internal\tstaging\tproduction")
		cell := run(t, ctx, chromedp.Text(chromedp.CSS(`td.cell.waiting a[href^="/runs/r-2"]`)))
		require.Contains(t, cell, "go-live waits")
		shot(t, ctx, dir, "overview", width)

		// The page must not scroll sideways at phone width: only the
		// grid's own box does.
		viewW := run(t, ctx, chromedp.Evaluate[int](`document.documentElement.clientWidth`))
		pageW := run(t, ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		require.LessOrEqual(t, pageW, viewW, "the overview scrolls sideways at %dpx", width)

		// Keyboard: focus the gate link, press Enter, land on the run.
		require.NoError(t, chromedp.Do(ctx,
			chromedp.Focus(chromedp.CSS(`td.cell.waiting a[href^="/runs/r-2"]`)),
			chromedp.KeyEvent("\r"),
			chromedp.WaitVisible(chromedp.CSS("svg.dag"))))
		loc := run(t, ctx, chromedp.Location())
		require.Contains(t, loc, "/runs/r-2")

		// A line recorded while the page is open appears, as text.
		text := fmt.Sprintf("live line at %d <b>not bold</b>", width)
		require.NoError(t, st.AppendLogs(context.Background(), []state.LogLine{{RunID: "r-2", NodeID: "build.webapp.test",
			Attempt: 1, Seq: int64(i), Stream: "stdout", Time: at(13 + i), Text: text}}))
		run(t, ctx, chromedp.Poll[bool](`document.getElementById("logs").textContent.includes(`+jsString(text)+`)`,
			chromedp.WithPollingTimeout(10*time.Second)))
		bold := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#logs b").length`))
		require.Zero(t, bold, "a log line's HTML was rendered")
		pageW = run(t, ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		require.LessOrEqual(t, pageW, viewW, "the run page scrolls sideways at %dpx", width)
		shot(t, ctx, dir, "run", width)

		require.NoError(t, chromedp.Do(ctx,
			chromedp.Navigate(srv.URL+"/"),
			chromedp.Click(chromedp.CSS(`a.version[href="/releases/webapp/1.1.0"]`)),
			chromedp.WaitVisible(chromedp.CSS("dl.facts"))))
		facts := run(t, ctx, chromedp.Text(chromedp.CSS("dl.facts")))
		require.Contains(t, facts, "internal")
		pageW = run(t, ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		require.LessOrEqual(t, pageW, viewW, "the release page scrolls sideways at %dpx", width)
		shot(t, ctx, dir, "release", width)
	}
}

// TestBrowserDarkMode renders the overview with prefers-color-scheme: dark
// and checks the page background turned dark (and writes a screenshot).
func TestBrowserDarkMode(t *testing.T) {
	st := seed(t)
	srv := newServer(t, st)
	ctx := browser(t, 1400)
	_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}, {Name: "prefers-reduced-motion", Value: "reduce"}}})
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/runs/r-2"), chromedp.WaitVisible(chromedp.CSS("svg.dag"))))
	bg := run(t, ctx, chromedp.Evaluate[string](`getComputedStyle(document.body).backgroundColor`))
	require.Equal(t, "rgb(17, 21, 27)", bg)
	// The running node's pulse is off under prefers-reduced-motion.
	anim := run(t, ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector("g.node.running rect")).animationName`))
	require.Equal(t, "none", anim)
	shot(t, ctx, screenshotDir(t), "run-dark", 1400)
}

func run[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	require.NoError(t, err)
	return v
}

func shot(t *testing.T, ctx context.Context, dir, name string, width int) {
	t.Helper()
	png := run(t, ctx, chromedp.FullScreenshot(100))
	require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%d.png", name, width)), png, 0o644))
}

func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}
