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
	"github.com/slack-go/slack"

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

// clickCSS clicks the first element matching sel in one step inside the page, waiting until
// it exists: the page re-renders its sidebar and lists, so a node found by one DevTools call
// may be gone by the next (chromedp's Click would fail with "Could not find node").
func clickCSS(sel string) chromedp.Action[chromedp.Void] {
	return poll(fmt.Sprintf(`(() => { const e = document.querySelector(%s); if (!e) return false; e.click(); return true; })()`, strconv.Quote(sel)))
}

// clickButton clicks the visible button labelled label inside the element with ID sel, in
// one step inside the page (see clickCSS).
func clickButton(sel, label string) chromedp.Action[chromedp.Void] {
	return clickIn("#"+sel, label)
}

// waitButton waits until a visible, enabled button labelled label is inside the element
// matching sel.
func waitButton(sel, label string) chromedp.Action[chromedp.Void] {
	return poll(fmt.Sprintf(`[...document.querySelectorAll(%s + " button")].some(b => b.offsetParent !== null && !b.disabled && b.innerText.trim() === %s)`,
		strconv.Quote(sel), strconv.Quote(label)))
}

// beUser switches the page to a person and waits until their view is loaded.
func beUser(id string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		clickCSS(`button.who[data-user="`+id+`"]`),
		chromedp.WaitVisible(chromedp.CSS(`body[data-ready="`+id+`"]`)),
	)
}

// TestSandboxInTheBrowser: in a real browser, Alice logs a $900 discount, Bob approves it in
// #escalations, and Alice sees the approval DM. The screenshot is docs/sandbox.png.
func TestSandboxInTheBrowser(t *testing.T) {
	b := newBrowser(t)
	_, base := start(t, sandbox.Config{})

	b.step("open the page", chromedp.EmulateViewport(1400, 1000), chromedp.Navigate(base), chromedp.WaitVisible(chromedp.CSS(`button.who[data-user="U0ALICE"]`)))
	b.step("be Alice", beUser("U0ALICE"))
	b.step("the in-memory banner shows", waitText("#banner", "nothing persists"))
	b.step("open #general", clickCSS(`a[data-conv="C0GENERAL"]`), waitText("#conv-title", "general"))
	b.step("Alice logs a $900 discount",
		chromedp.SendKeys(chromedp.ID("composer-input"), "/empower discount 900 for ACME, loyal customer, late delivery #customer-first"),
		chromedp.Click(chromedp.ID("send")),
		waitText("#messages .msg.ephemeral", "above your box"),
		waitText("#messages .msg.ephemeral", "Only visible to you"),
	)

	b.step("be Bob", beUser("U0BOB"))
	b.step("Bob does not see Alice's ephemeral reply",
		clickCSS(`a[data-conv="C0GENERAL"]`), waitText("#conv-title", "general"),
		poll(`!document.querySelector("#messages").innerText.includes("above your box")`))
	b.step("Bob sees the escalation", clickCSS(`a[data-conv="C0ESCALATE"]`),
		waitText("#messages .msg", "$900"), waitText("#messages .msg", "ACME"))
	b.step("the buttons are styled", chromedp.WaitVisible(chromedp.CSS(`#messages button.bk-button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(`#messages button.bk-button.danger`)))
	b.screenshot("sandbox-escalation.png")
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
	b.step("Alice sees the approval DM", clickCSS(`a[data-conv="app"]`),
		waitText("#messages .msg", "@bob approved your discount of $900"))

	b.screenshot("sandbox.png")
}

// screenshot saves what the page shows to the test's temporary folder, or
// to docs/name (the README shows them) when UPDATE_SCREENSHOTS=1, so a test
// run leaves the checkout clean.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	if len(png) == 0 {
		b.t.Fatalf("screenshot %s is empty", name)
	}
	out := filepath.Join(b.t.TempDir(), name)
	if os.Getenv("UPDATE_SCREENSHOTS") == "1" {
		out = filepath.Join("..", "docs", name)
	}
	defer b.t.Logf("screenshot saved to %s", out)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		b.t.Fatalf("save the screenshot: %v", err)
	}
}

// evalTrue fails the step unless the JavaScript expression is true now.
func evalTrue(what, js string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		ok, err := chromedp.Evaluate[bool](js)(ctx, t)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("not so: %s", what)
		}
		return nil
	})
}

// setValue sets a form control's value as a person choosing an option would.
func setValue(sel, value string) chromedp.Action[chromedp.Void] {
	return evalTrue("set "+sel, fmt.Sprintf(`(() => { const c = document.querySelector(%s); if (!c) return false;
		if (c.multiple) { for (const o of c.options) o.selected = o.value === %s; } else c.value = %s;
		c.dispatchEvent(new Event("change", {bubbles: true})); return true; })()`, strconv.Quote(sel), strconv.Quote(value), strconv.Quote(value)))
}

// TestSandboxBrowserModal: the log-a-decision modal as a form, with the bot's field error
// shown under the amount and what was typed kept.
func TestSandboxBrowserModal(t *testing.T) {
	b := newBrowser(t)
	_, base := start(t, sandbox.Config{})
	b.step("open the page as Dave", chromedp.Navigate(base), chromedp.WaitVisible(chromedp.CSS(`button.who[data-user="U0DAVE"]`)), beUser("U0DAVE"))
	b.step("open the DM", clickCSS(`a[data-conv="app"]`), waitText("#conv-title", "empowerbot"))
	b.step("/empower opens the modal",
		chromedp.SendKeys(chromedp.ID("composer-input"), "/empower"),
		chromedp.Click(chromedp.ID("send")),
		chromedp.WaitVisible(chromedp.CSS(`#modal .bk-input[data-block="amount"] input`)))
	b.step("a bad amount gets the bot's error",
		setValue(`#modal .bk-input[data-block="activity"] select`, "discount"),
		chromedp.SendKeys(chromedp.CSS(`#modal .bk-input[data-block="amount"] input`), "12.345"),
		chromedp.SendKeys(chromedp.CSS(`#modal .bk-input[data-block="customer"] input`), "ACME"),
		clickCSS(`#modal .bk-input[data-block="tags"] input[value="customer-first"]`),
		chromedp.Click(chromedp.ID("modal-submit")),
		waitText(`#modal .bk-input[data-block="amount"] .err`, ""),
		evalTrue("the typed customer is kept", `document.querySelector('#modal .bk-input[data-block="customer"] input').value === "ACME"`),
		evalTrue("the activity is kept", `document.querySelector('#modal .bk-input[data-block="activity"] select').value === "discount"`),
	)
	b.step("a good amount logs the decision",
		evalTrue("clear", `(() => { document.querySelector('#modal .bk-input[data-block="amount"] input').value = ""; return true; })()`),
		chromedp.SendKeys(chromedp.CSS(`#modal .bk-input[data-block="amount"] input`), "120"),
		chromedp.Click(chromedp.ID("modal-submit")),
		waitText("#modal-body", "D-"),
	)
	b.step("Cancel closes it", chromedp.Click(chromedp.ID("modal-close")), chromedp.WaitNotVisible(chromedp.ID("modal-backdrop")))
}

// TestSandboxBrowserRendersBlockKit: a message with every kind of block the page knows,
// posted by the bot through the Web API, then updated in place.
func TestSandboxBrowserRendersBlockKit(t *testing.T) {
	b := newBrowser(t)
	sb, base := start(t, sandbox.Config{})
	api := slack.New(sb.Emu.BotToken(), slack.OptionAPIURL(sb.Emu.URL()))
	md := func(s string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
	}
	pt := func(s string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
	}
	confirm := slack.NewConfirmationBlockObject(pt("Really?"), md("This cannot be undone."), pt("Do it"), pt("Stop"))
	blocks := []slack.Block{
		slack.NewHeaderBlock(pt("Gallery header")),
		slack.NewSectionBlock(md("*bold* _italic_ ~struck~ `code` <@U0BOB> <https://example.com/x|a link> <javascript:alert(1)|bad link> &lt;script&gt;alert(1)&lt;/script&gt;"),
			[]*slack.TextBlockObject{md("*Field one*\nvalue 1"), md("*Field two*\nvalue 2")},
			slack.NewAccessory(slack.NewImageBlockElement("https://example.com/pic.png", "a picture"))),
		slack.NewContextBlock("ctx", md(":hourglass_flowing_sand: context text")),
		slack.NewDividerBlock(),
		slack.NewActionBlock("acts",
			slack.NewButtonBlockElement("ok", "1", pt("Primary")).WithStyle(slack.StylePrimary),
			slack.NewButtonBlockElement("no", "2", pt("Danger")).WithStyle(slack.StyleDanger).WithConfirm(confirm),
		),
		slack.NewImageBlock("https://example.com/big.png", "big picture", "img", pt("Image title")),
		slack.NewSectionBlock(md("Quoted:\n>no space after the marker\n> one space"), nil, nil),
	}
	_, ts, err := api.PostMessage("C0GENERAL", slack.MsgOptionText("gallery", false), slack.MsgOptionBlocks(blocks...))
	if err != nil {
		t.Fatalf("post the gallery: %v", err)
	}
	msg := fmt.Sprintf(`#messages .msg[data-ts=%s]`, strconv.Quote(ts))
	b.step("open #general as Carol", chromedp.Navigate(base), chromedp.WaitVisible(chromedp.CSS(`button.who[data-user="U0CAROL"]`)), beUser("U0CAROL"),
		clickCSS(`a[data-conv="C0GENERAL"]`), waitText(msg, "Gallery header"))
	checks := map[string]string{
		"header":          msg + ` .bk-header`,
		"bold":            msg + ` b`,
		"italic":          msg + ` i`,
		"strike":          msg + ` s`,
		"code":            msg + ` code`,
		"mention as name": msg + ` .mention[data-user="U0BOB"]`,
		"link":            msg + ` a[href="https://example.com/x"]`,
		"fields":          msg + ` .bk-fields`,
		"accessory image": msg + ` .bk-accessory img[alt="a picture"]`,
		"context":         msg + ` .bk-context`,
		"divider":         msg + ` hr.bk-divider`,
		"primary button":  msg + ` button.bk-button.primary`,
		"danger button":   msg + ` button.bk-button.danger`,
		"image block":     msg + ` .bk-image img[alt="big picture"]`,
		"quote":           msg + ` blockquote`,
	}
	for what, sel := range checks {
		b.step(what, evalTrue(what, fmt.Sprintf(`!!document.querySelector(%s)`, strconv.Quote(sel))))
	}
	b.step("markup is text, never HTML",
		evalTrue("no script element", fmt.Sprintf(`!document.querySelector(%s)`, strconv.Quote(msg+" script"))),
		evalTrue("no javascript link", `!document.querySelector('#messages a[href^="javascript"]')`),
		waitText(msg, "<script>alert(1)</script>"),
		waitText(msg, "@bob"),
	)
	b.step("> quotes with or without a space", waitText(msg+" blockquote", "no space after the marker"),
		evalTrue("two quoted lines", fmt.Sprintf(`document.querySelectorAll(%s).length === 2`, strconv.Quote(msg+" blockquote"))),
		evalTrue("no quote marker left", fmt.Sprintf(`[...document.querySelectorAll(%s)].every(q => !q.innerText.includes(">"))`, strconv.Quote(msg+" blockquote"))))
	b.step("a confirm dialog guards the danger button", clickButton("messages", "Danger"),
		waitText("#confirm", "Really?"), waitText("#confirm", "This cannot be undone."),
		chromedp.Click(chromedp.ID("confirm-deny")), chromedp.WaitNotVisible(chromedp.ID("confirm-backdrop")))
	// Opening the tab makes the bot publish Carol's real Home; a Home
	// published afterwards replaces it in place.
	b.step("the App Home tab shows the bot's Home",
		clickCSS(`a[data-conv="app"]`), clickCSS(`.tab[data-tab="home"]`),
		waitText("#home", "Commitments"))
	home := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: []slack.Block{
		slack.NewHeaderBlock(pt("Carol's home")),
		slack.NewSectionBlock(md("*Pending approvals*: none"), nil, nil),
	}}}
	if _, err := api.PublishView("U0CAROL", home, ""); err != nil {
		t.Fatalf("publish Home: %v", err)
	}
	b.step("a published Home replaces it live",
		waitText("#home", "Carol's home"), waitText("#home b", "Pending approvals"))
	b.step("back to #general", clickCSS(`.tab[data-tab="messages"]`),
		clickCSS(`a[data-conv="C0GENERAL"]`), waitText(msg, "Gallery header"))
	if _, _, _, err := api.UpdateMessage("C0GENERAL", ts, slack.MsgOptionText("gallery", false),
		slack.MsgOptionBlocks(slack.NewSectionBlock(md("*Updated in place*"), nil, nil))); err != nil {
		t.Fatalf("update the gallery: %v", err)
	}
	b.step("chat.update changes the message in place", waitText(msg, "Updated in place"), waitText(msg, "(edited)"),
		evalTrue("one message with that ts", fmt.Sprintf(`document.querySelectorAll(%s).length === 1`, strconv.Quote(msg))))
}
