package sandbox_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/empowerbot/empowerbot/sandbox"
)

// chromium finds a Chromium (Debian's package installs /usr/bin/chromium; .ci/run installs it
// when a test imports chromedp).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium binary on PATH; CI must install it (.ci/run: apt-get install chromium)")
	}
	t.Skip("no chromium binary on PATH: install it (apt-get install chromium) to run the browser test")
	return ""
}

// browser is one headless Chromium tab driven by chromedp.
type browser struct {
	t   *testing.T
	ctx context.Context
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1400, 860),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return &browser{t: t, ctx: ctx}
}

// step runs actions as one named step of the scenario; it fails the test when the step does
// not complete within 20s.
func (b *browser) step(name string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		page, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body.innerText`))
		b.t.Fatalf("step %q: %v\npage text:\n%s", name, err, page)
	}
}

// waitText waits until an element matching the CSS selector contains text.
func waitText(sel, text string) chromedp.Action[chromedp.Void] {
	js := fmt.Sprintf(`[...document.querySelectorAll(%s)].some(e => e.offsetParent !== null && e.innerText.includes(%s))`,
		strconv.Quote(sel), strconv.Quote(text))
	return poll(js)
}

// poll waits until the JavaScript expression is true.
func poll(js string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Poll[bool](js, chromedp.WithPollingInterval(50*time.Millisecond))(ctx, t)
		return err
	})
}

// clickButton clicks the visible button labelled label inside the element matching sel.
func clickButton(sel, label string) chromedp.Action[chromedp.Void] {
	return chromedp.Click(chromedp.Search(fmt.Sprintf(`//*[@id=%s]//button[normalize-space(.)=%s]`, strconv.Quote(sel), strconv.Quote(label))))
}

// beUser switches the page to a person and waits until their view is loaded.
func beUser(id string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Click(chromedp.CSS(`button.who[data-user="`+id+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`body[data-ready="`+id+`"]`)),
	)
}

// TestSandboxInTheBrowser: in a real browser, Alice logs a $900 discount, Bob approves it in
// #escalations, and Alice sees the approval DM. The screenshot is docs/sandbox.png.
func TestSandboxInTheBrowser(t *testing.T) {
	b := newBrowser(t)
	_, base := start(t, sandbox.Config{})

	b.step("open the page", chromedp.Navigate(base), chromedp.WaitVisible(chromedp.CSS(`button.who[data-user="U0ALICE"]`)))
	b.step("be Alice", beUser("U0ALICE"))
	b.step("the in-memory banner shows", waitText("#banner", "nothing persists"))
	b.step("open #general", chromedp.Click(chromedp.CSS(`a[data-conv="C0GENERAL"]`)), waitText("#conv-title", "general"))
	b.step("Alice logs a $900 discount",
		chromedp.SendKeys(chromedp.ID("composer-input"), "/empower discount 900 for ACME loyal customer, late delivery #customer-first"),
		chromedp.Click(chromedp.ID("send")),
		waitText("#messages .msg.ephemeral", "above your box"),
		waitText("#messages .msg.ephemeral", "Only visible to you"),
	)

	b.step("be Bob", beUser("U0BOB"))
	b.step("Bob does not see Alice's ephemeral reply",
		chromedp.Click(chromedp.CSS(`a[data-conv="C0GENERAL"]`)), waitText("#conv-title", "general"),
		poll(`!document.querySelector("#messages").innerText.includes("above your box")`))
	b.step("Bob sees the escalation", chromedp.Click(chromedp.CSS(`a[data-conv="C0ESCALATE"]`)),
		waitText("#messages .msg", "$900"), waitText("#messages .msg", "ACME"))
	b.step("the buttons are styled", chromedp.WaitVisible(chromedp.CSS(`#messages button.bk-button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(`#messages button.bk-button.danger`)))
	b.step("Bob clicks Approve", clickButton("messages", "Approve"),
		// a confirm dialog, if the bot asks for one
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`(() => { const c = document.querySelector("#confirm-backdrop"); if (c && !c.hidden) document.querySelector("#confirm-ok").click(); return true; })()`)(ctx, t)
			return err
		}),
		waitText("#messages .msg", "Approved by"),
		poll(`![...document.querySelectorAll("#messages button")].some(b => b.innerText.trim() === "Approve")`),
	)

	b.step("be Alice again", beUser("U0ALICE"))
	b.step("Alice sees the approval DM", chromedp.Click(chromedp.CSS(`a[data-conv="app"]`)),
		waitText("#messages .msg", "@bob approved your discount of $900"))

	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	out := filepath.Join("..", "docs", "sandbox.png")
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatalf("save the screenshot: %v", err)
	}
}
