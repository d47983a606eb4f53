package sandbox_test

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/sandbox"
)

// clickIn clicks, in one step inside the page, the first visible button under sel whose
// text is label, waiting until there is one.
func clickIn(sel, label string) chromedp.Action[chromedp.Void] {
	return poll(fmt.Sprintf(`(() => { const b = [...document.querySelectorAll(%s + " button")].find(b => b.offsetParent !== null && !b.disabled && b.innerText.trim() === %s);
		if (!b) return false; b.click(); return true; })()`, strconv.Quote(sel), strconv.Quote(label)))
}

// stepDone waits until the tour's step is ticked off.
func stepDone(id string) chromedp.Action[chromedp.Void] {
	return poll(fmt.Sprintf(`!!document.querySelector('#tour-steps .step.done[data-step=%s]')`, strconv.Quote(id)))
}

// takeMeThere clicks a tour step's "Take me there" and waits until the page is that
// person's, in that conversation.
func takeMeThere(id, person, convTitle string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		evalTrue("reset", `(() => { delete document.body.dataset.there; return true; })()`),
		clickIn(`#tour-steps .step[data-step="`+id+`"]`, "Take me there"),
		chromedp.WaitVisible(chromedp.CSS(`body[data-there="`+id+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`body[data-ready="`+person+`"]`)),
		waitText("#conv-title", convTitle))
}

// sendComposer sends what the composer holds (a tour step put it there).
func sendComposer() chromedp.Action[chromedp.Void] {
	return chromedp.Steps(poll(`document.querySelector("#composer-input").value.startsWith("/empower ")`), clickCSS("#send"))
}

// TestSandboxBrowserGuidedTour walks the guided tour end to end at 1280×800: each step's
// "take me there" switches person and conversation (with the command ready), and the step
// is ticked off only once the bot has done its part; the tour closes, stays closed after a
// reload, and opens again.
func TestSandboxBrowserGuidedTour(t *testing.T) {
	b := newBrowser(t)
	_, base := start(t, sandbox.Config{})
	b.step("open the page", chromedp.EmulateViewport(1280, 800), chromedp.Navigate(base),
		chromedp.WaitVisible(chromedp.CSS(`#tour-steps .step[data-step="inside"]`)),
		evalTrue("eight steps, none done", `document.querySelectorAll("#tour-steps .step").length === 8 && !document.querySelector("#tour-steps .step.done")`),
		waitText("#tour-progress", "0 of 8"))

	b.step("1. inside the box as Alice", takeMeThere("inside", "U0ALICE", "general"),
		poll(`document.querySelector("#composer-input").value.includes("discount 120")`),
		evalTrue("not done before the bot answered", `!document.querySelector('#tour-steps .step.done[data-step="inside"]')`),
		sendComposer(), waitText("#messages .msg.ephemeral", "$120"), stepDone("inside"))
	b.step("2. above the box", takeMeThere("above", "U0ALICE", "general"), sendComposer(),
		waitText("#messages .msg.ephemeral", "$900"), stepDone("above"))
	b.step("3. be Bob: approve", takeMeThere("approve", "U0BOB", "escalations"),
		waitText("#messages .msg", "$900"), clickIn("#messages", "Approve"), confirmIfAsked(),
		waitText("#messages .msg", "Approved by"), stepDone("approve"))
	b.step("4. three days later: how did it go?", takeMeThere("outcome", "U0ALICE", "empowerbot"),
		clickIn(`#tour-steps .step[data-step="outcome"]`, "+3 days, run what's due"),
		waitText("#toasts .toast", "outcome_followups"), waitText("#clock-now", "+3d"),
		clickIn("#messages", "It worked"), stepDone("outcome"))
	b.step("clear the toasts", evalTrue("toasts removed", `(() => { document.querySelectorAll(".toast").forEach(t => t.remove()); return true; })()`))
	b.screenshot("screenshots/tour-1280.png")
	b.step("5. praise", takeMeThere("praise", "U0ALICE", "general"), sendComposer(), stepDone("praise"))
	b.step("6. feedback", takeMeThere("feedback", "U0ALICE", "empowerbot"),
		clickIn(`#tour-steps .step[data-step="feedback"]`, "Run feedback now"),
		clickIn("#messages", "Answer"), chromedp.WaitVisible(chromedp.CSS(`#modal textarea`)),
		chromedp.SendKeys(chromedp.CSS(`#modal textarea`), "More time with customers on site"),
		clickCSS("#modal-submit"), stepDone("feedback"))
	b.step("close whatever the answer left open", evalTrue("no modal", `(() => { if (!document.querySelector("#modal-backdrop").hidden) document.querySelector("#modal-x").click(); return true; })()`),
		chromedp.WaitNotVisible(chromedp.ID("modal-backdrop")))
	b.step("7. a commitment", takeMeThere("commit", "U0BOB", "general"), sendComposer(), stepDone("commit"))
	// "+3 days, run what's due" ran the digest already when a Friday 16:00 fell in those days.
	b.step("8. the digest", evalTrue("open the step if done", `(() => { const h = document.querySelector('#tour-steps .step.done[data-step="digest"] .step-head'); if (h) h.click(); return true; })()`), takeMeThere("digest", "U0BOB", "leaders"),
		poll(`(() => { if (document.querySelector('#tour-steps .step.done[data-step="digest"]')) return true;
			const b = [...document.querySelectorAll('#tour-steps .step[data-step="digest"] button')].find(b => b.innerText.trim() === "Run the digest now" && !b.disabled);
			if (b && !window.__digestRun) { window.__digestRun = true; b.click(); } return false; })()`),
		waitText("#messages .msg", "digest"), stepDone("digest"), waitText("#tour-progress", "8 of 8"))
	b.step("close the tour", clickCSS("#tour-close"), chromedp.WaitNotVisible(chromedp.ID("tour")))
	b.step("it stays closed after a reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="U0BOB"]`)),
		evalTrue("closed", `document.querySelector("#tour").hidden`))
	b.step("Tour opens it again, ticks kept", clickCSS("#tour-open"), chromedp.WaitVisible(chromedp.ID("tour")),
		waitText("#tour-progress", "8 of 8"))
}

// inViewport is JavaScript true when the element matching sel is inside the viewport and
// not covered at its centre by anything outside itself (the top bar, a backdrop).
func inViewport(sel string) string {
	return fmt.Sprintf(`(() => { const e = document.querySelector(%s); if (!e) return false; const r = e.getBoundingClientRect();
		if (r.width === 0 || r.left < 0 || r.top < 0 || r.right > innerWidth || r.bottom > innerHeight) return false;
		const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2); return !!hit && (hit === e || e.contains(hit)); })()`, strconv.Quote(sel))
}

const noSideScroll = `document.scrollingElement.scrollWidth <= innerWidth`

// TestSandboxBrowserPhone: at 390×844 the page does not scroll sideways, the sidebar is a
// drawer, the tour a sheet, and the log modal's title, close button and buttons are all
// visible below the top bar; a modal submitted without an activity keeps what was typed; Esc
// closes it.
func TestSandboxBrowserPhone(t *testing.T) {
	b := newBrowser(t)
	_, base := start(t, sandbox.Config{})
	b.step("open the page at phone width", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(base),
		chromedp.WaitVisible(chromedp.CSS(`body[data-ready]`)), chromedp.WaitVisible(chromedp.CSS(`#tour-steps .step[data-step="digest"]`)))
	b.step("no sideways scroll with the tour open", evalTrue("no horizontal scroll", noSideScroll),
		evalTrue("the person picker is a select", `document.querySelector("#people-select").offsetParent !== null`),
		evalTrue("the sidebar is hidden", `document.querySelector("#sidebar").getBoundingClientRect().right <= 0 || getComputedStyle(document.querySelector("#sidebar")).visibility === "hidden"`))
	b.step("take me there closes the sheet", takeMeThere("inside", "U0ALICE", "general"),
		chromedp.WaitNotVisible(chromedp.ID("tour")), evalTrue("no horizontal scroll", noSideScroll),
		evalTrue("the messages have the width", `document.querySelector("#messages").getBoundingClientRect().width >= 380`))
	b.step("log it: the answer fits", sendComposer(), waitText("#messages .msg.ephemeral", "$120"), evalTrue("no horizontal scroll", noSideScroll))
	b.screenshot("sandbox-phone.png")
	b.step("the tour again: one step done", clickCSS("#tour-open"), chromedp.WaitVisible(chromedp.ID("tour")), stepDone("inside"),
		evalTrue("no horizontal scroll", noSideScroll))
	b.screenshot("screenshots/tour-390.png")
	b.step("close the sheet with Esc", chromedp.KeyEvent(kb.Escape), chromedp.WaitNotVisible(chromedp.ID("tour")))
	b.step("the drawer opens and a channel closes it", clickCSS("#menu"), chromedp.WaitVisible(chromedp.CSS(`#sidebar a[data-conv="app"]`)),
		evalTrue("no horizontal scroll", noSideScroll), clickCSS(`#sidebar a[data-conv="app"]`), waitText("#conv-title", "empowerbot"),
		poll(`getComputedStyle(document.querySelector("#sidebar")).visibility === "hidden"`))
	b.step("the log modal is whole below the top bar", command("/empower"), chromedp.WaitVisible(chromedp.CSS(`#modal .bk-input[data-block="amount"] input`)),
		evalTrue("no horizontal scroll", noSideScroll),
		poll(inViewport("#modal-title")), poll(inViewport("#modal-x")), poll(inViewport("#modal-submit")), poll(inViewport("#modal-close")),
		evalTrue("the top bar is above the modal", `document.querySelector("#topbar").getBoundingClientRect().bottom <= document.querySelector("#modal").getBoundingClientRect().top`))
	b.step("submitted without an activity, it keeps what was typed",
		chromedp.SendKeys(chromedp.CSS(`#modal .bk-input[data-block="amount"] input`), "300"),
		chromedp.SendKeys(chromedp.CSS(`#modal .bk-input[data-block="customer"] input`), "Initech"),
		clickCSS(`#modal .bk-input[data-block="tags"] input[value="courage"]`),
		clickCSS("#modal-submit"), waitText(`#modal .bk-input[data-block="activity"] .err`, "required"),
		evalTrue("amount kept", `document.querySelector('#modal .bk-input[data-block="amount"] input').value === "300"`),
		evalTrue("customer kept", `document.querySelector('#modal .bk-input[data-block="customer"] input').value === "Initech"`),
		evalTrue("tag kept", `document.querySelector('#modal .bk-input[data-block="tags"] input[value="courage"]').checked`),
		poll(inViewport("#modal-submit")))
	b.step("Esc closes the modal", chromedp.KeyEvent(kb.Escape), chromedp.WaitNotVisible(chromedp.ID("modal-backdrop")))
	b.step("the picker switches person", setValue("#people-select", "U0BOB"), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="U0BOB"]`)),
		evalTrue("Bob is picked", `document.querySelector("#people-select").value === "U0BOB"`), evalTrue("no horizontal scroll", noSideScroll))
}

// TestSandboxBrowserUnreadAndDialogs: unread counts are each person's (the person picker
// shows what waits for Bob, "Bob · team lead (north) (1)", his role in words, not the level's
// slug; switching person clears nobody's); the confirm dialog leaves the
// person picker and clock usable and its "Yes, decline" is red; Esc closes it; the page's
// accessibility basics; repeated toasts do not stack; message times are bot time; markup and
// emoji are shown as Slack shows them.
func TestSandboxBrowserUnreadAndDialogs(t *testing.T) {
	b := newBrowser(t)
	sb, base := start(t, sandbox.Config{})
	b.step("open as Alice in #general", chromedp.Navigate(base), chromedp.WaitVisible(chromedp.CSS(`button.who[data-user="U0ALICE"]`)),
		beUser("U0ALICE"), clickCSS(`a[data-conv="C0GENERAL"]`), waitText("#conv-title", "general"))
	b.step("Alice logs $900: the picker shows one waiting for Bob",
		command("/empower discount 900 for ACME loyal customer"), waitText("#messages .msg.ephemeral", "$900"),
		waitText(`button.who[data-user="U0BOB"] .count`, "1"),
		poll(`[...document.querySelectorAll("#people-select option")].some(o => o.value === "U0BOB" && o.textContent === "Bob · team lead (north) (1)")`))
	b.step("switching to Carol keeps Bob's count", beUser("U0CAROL"), waitText(`button.who[data-user="U0BOB"] .count`, "1"))
	b.step("as Bob, #escalations has his badge; reading it clears only his", beUser("U0BOB"),
		clickCSS(`a[data-conv="C0GENERAL"]`), waitText("#conv-title", "general"),
		waitText(`a[data-conv="C0ESCALATE"] .badge`, "1"), waitText(`button.who[data-user="U0BOB"] .count`, "1"),
		clickCSS(`a[data-conv="C0ESCALATE"]`), waitText("#messages .msg", "$900"),
		poll(`!document.querySelector('a[data-conv="C0ESCALATE"] .badge') && !document.querySelector('button.who[data-user="U0BOB"] .count')`))
	b.step("the read is remembered for Bob across switches", beUser("U0CAROL"), beUser("U0BOB"),
		clickCSS(`a[data-conv="C0GENERAL"]`), waitText("#conv-title", "general"),
		evalTrue("no badge", `!document.querySelector('a[data-conv="C0ESCALATE"] .badge')`))

	b.step("Decline asks in a red confirm", clickCSS(`a[data-conv="C0ESCALATE"]`), waitText("#messages .msg", "$900"),
		clickIn("#messages", "Decline"), chromedp.WaitVisible(chromedp.ID("confirm")),
		evalTrue("role and label", `(() => { const c = document.querySelector("#confirm"); return c.getAttribute("role").endsWith("dialog") && c.getAttribute("aria-modal") === "true" && document.getElementById(c.getAttribute("aria-labelledby")).innerText.length > 0; })()`),
		evalTrue("Yes, decline is Slack's danger red", `getComputedStyle(document.querySelector("#confirm-ok")).backgroundColor === "rgb(224, 30, 90)"`),
		evalTrue("the person picker is not covered", inViewport(`button.who[data-user="U0CAROL"]`)),
		evalTrue("the clock is not covered", inViewport(`#advance-run`)))
	b.step("Esc closes the confirm", chromedp.KeyEvent(kb.Escape), chromedp.WaitNotVisible(chromedp.ID("confirm-backdrop")),
		evalTrue("the card still has Decline", `[...document.querySelectorAll("#messages button")].some(b => b.innerText.trim() === "Decline")`))

	b.step("the page's accessibility basics",
		evalTrue("every channel link has an href", `[...document.querySelectorAll("#sidebar a")].every(a => a.getAttribute("href"))`),
		evalTrue("the composer has a label", `document.querySelector('label[for="composer-input"]').textContent.length > 0`),
		evalTrue("the modal is a labelled dialog", `(() => { const m = document.querySelector("#modal"); return m.getAttribute("role") === "dialog" && m.getAttribute("aria-modal") === "true" && m.getAttribute("aria-labelledby") === "modal-title"; })()`),
		evalTrue("grey hint text meets AA (4.5:1)", `(() => {
			const lum = (c) => { const v = c.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number).map(x => { x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); }); return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
			const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
			return ["#hint", ".msg-meta time", ".only-you", ".app-tag"].every(s => { const e = document.querySelector(s); return !e || ratio(getComputedStyle(e).color, "rgb(255,255,255)") >= 4.5; }); })()`))
	b.step("keyboard: a channel link opens with Enter", chromedp.Focus(chromedp.CSS(`a[data-conv="C0GENERAL"]`)), chromedp.KeyEvent(kb.Enter),
		waitText("#conv-title", "general"))
	code, _, hdr := get(t, base+"favicon.ico")
	if code != http.StatusOK || hdr.Get("Content-Type") != "image/svg+xml" {
		t.Errorf("GET /favicon.ico = %d %q, want 200 image/svg+xml", code, hdr.Get("Content-Type"))
	}

	b.step("+1h clicked five times: one toast, counting", evalTrue("five clicks", `(() => { const b = document.querySelector('button[data-advance="1h"]'); for (let i = 0; i < 5; i++) b.click(); return true; })()`),
		waitText("#clock-now", "+5h"), waitText("#toasts .toast", "×5"), evalTrue("one toast", `document.querySelectorAll("#toasts .toast").length === 1`))

	b.step("a message posted now shows the bot's time", clickCSS(`a[data-conv="C0ESCALATE"]`), waitText("#conv-title", "escalations"),
		command("hello from five hours ahead"),
		waitText("#messages .msg", "hello from five hours ahead"),
		evalTrue("its time is the bot clock's, 5h ahead", `(() => { const m = [...document.querySelectorAll("#messages .msg")].find(m => m.innerText.includes("hello from five hours ahead"));
			const at = new Date(m.querySelector("time").getAttribute("datetime")); const ahead = (at - Date.now()) / 3600e3; return ahead > 4.9 && ahead < 5.1; })()`),
		evalTrue("and the earlier card its own", `(() => { const t = [...document.querySelectorAll("#messages .msg time")].map(t => new Date(t.getAttribute("datetime"))); return t.length >= 2 && (t[t.length - 1] - t[0]) / 3600e3 > 4.9; })()`))
	b.step("the jobs say what they do and when they run next",
		waitText(`#jobs [data-job-row="digest"] .job-about`, "leaders"), waitText(`#jobs [data-job-row="digest"] .job-next`, "Fridays at 4:00 PM"),
		waitText(`#jobs [data-job-row="digest"] .job-next`, "next"))

	api := slack.New(sb.Emu.BotToken(), slack.OptionAPIURL(sb.Emu.URL()))
	if _, _, err := api.PostMessage("C0GENERAL", slack.MsgOptionText("markup: <!here> <!channel> :clap: :tada::skin-tone-3: &lt;!everyone&gt; <!foo^bar|a label> &lt;b&gt;bold?&lt;/b&gt;", false)); err != nil {
		t.Fatalf("post: %v", err)
	}
	b.step("markup and emoji as Slack shows them", clickCSS(`a[data-conv="C0GENERAL"]`), waitText("#conv-title", "general"), waitText("#messages .msg", "markup:"),
		waitText("#messages .broadcast", "@here"), waitText("#messages .broadcast", "@channel"),
		waitText("#messages .msg", "👏"), waitText("#messages .msg", "🎉"), waitText("#messages .markup", "a label"),
		evalTrue("escaped text stays text", `(() => { const m = [...document.querySelectorAll("#messages .msg")].find(m => m.innerText.includes("markup:")); return m.innerText.includes("<!everyone>") && m.innerText.includes("<b>bold?</b>") && !m.querySelector(".mrkdwn b b, .mrkdwn script") && !m.innerText.includes("<!here>"); })()`))
}

// TestSandboxBrowserStaleHome: a copy of the Home fetched before a newer views.publish but
// arriving after it (item 17) does not replace the newer one. The page's fetch of the
// person's views is held until the newer Home has arrived by the event stream.
func TestSandboxBrowserStaleHome(t *testing.T) {
	b := newBrowser(t)
	sb, base := start(t, sandbox.Config{})
	api := slack.New(sb.Emu.BotToken(), slack.OptionAPIURL(sb.Emu.URL()))
	publish := func(text string) {
		t.Helper()
		v := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil)}}}
		if _, err := api.PublishView("U0FRANK", v, ""); err != nil {
			t.Fatalf("publish: %v", err)
		}
	}
	b.step("Frank's Home", chromedp.Navigate(base), chromedp.WaitVisible(chromedp.CSS(`button.who[data-user="U0FRANK"]`)), beUser("U0FRANK"),
		clickCSS(`a[data-conv="app"]`), clickCSS(`.tab[data-tab="home"]`), waitText("#home", "Your empowerbot"))
	publish("version *one*")
	b.step("version one shows", waitText("#home", "version one"))
	b.step("be Erin for a moment", beUser("U0ERIN"))
	b.step("hold the next views fetch once its answer is in",
		evalTrue("hook fetch", `(() => { const orig = window.fetch; window.__release = null; window.__held = false;
			window.fetch = async (...args) => { const r = await orig(...args);
				if (String(args[0]).startsWith("/api/views") && !window.__done) { window.__done = true; window.__held = true; await new Promise(res => { window.__release = res; }); }
				return r; }; return true; })()`),
		// switching away and back reloads the person's views (the fetch the page makes when a modal closes, too)
		clickCSS(`button.who[data-user="U0FRANK"]`), poll(`window.__held === true`))
	publish("version *two*")
	b.step("version two arrives by the event stream", waitText("#home", "version two"))
	b.step("the stale answer arrives last and is not shown", evalTrue("release", `(() => { window.__release(); return true; })()`),
		chromedp.WaitVisible(chromedp.CSS(`body[data-ready="U0FRANK"]`)),
		evalTrue("still version two", `document.querySelector("#home").innerText.includes("version two") && !document.querySelector("#home").innerText.includes("version one")`))
}
