package sandbox_test

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/empowerbot/empowerbot/sandbox"
)

// evalString evaluates a JavaScript expression to a string.
func (b *browser) evalString(what, js string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20e9)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return s
}

var clockRE = regexp.MustCompile(`^(\d{1,2}):(\d{2}) (AM|PM)$`)

// minuteOfDay reads "1:05 PM" as minutes after midnight.
func minuteOfDay(t *testing.T, clock string) int {
	t.Helper()
	m := clockRE.FindStringSubmatch(clock)
	if m == nil {
		t.Fatalf("%q is not a 12-hour clock time like the bot writes (1:05 PM)", clock)
	}
	h, _ := strconv.Atoi(m[1])
	mi, _ := strconv.Atoi(m[2])
	if h == 12 {
		h = 0
	}
	if m[3] == "PM" {
		h += 12
	}
	return h*60 + mi
}

// TestSandboxBrowserTimesInBotTime (issue 16 items 8 and 14): eleven days after now on the
// bot's clock, the time the page shows on the escalation card is the time the bot itself
// writes for it (Bob's Home: "asked 1:05 PM CST"), on the same 12-hour clock, and the page's
// clock names the zone the bot names.
func TestSandboxBrowserTimesInBotTime(t *testing.T) {
	b := newBrowser(t)
	_, base := start(t, sandbox.Config{})
	b.step("open the page", chromedp.EmulateViewport(1280, 800), chromedp.Navigate(base),
		chromedp.WaitVisible(chromedp.CSS(`button.who[data-user="U0ALICE"]`)), beUser("U0ALICE"))
	b.step("+11 days", clickCSS(`button[data-advance="7d"]`), waitText("#clock-now", "+7d"),
		clickCSS(`button[data-advance="3d"]`), waitText("#clock-now", "+10d"),
		clickCSS(`button[data-advance="1d"]`), waitText("#clock-now", "+11d"))
	b.step("Alice logs $900", openConv("C0GENERAL", "general"),
		command("/empower discount 900 for ACME loyal customer"), waitText("#messages .msg.ephemeral", "$900"))
	b.step("Bob sees the card", beUser("U0BOB"), openConv("C0ESCALATE", "escalations"), waitText("#messages .msg", "$900"))
	card := b.evalString("the card's time", `(() => { const m = [...document.querySelectorAll("#messages .msg")].find(m => m.innerText.includes("$900"));
		return m.querySelector(".msg-meta time").textContent; })()`)
	title := b.evalString("the card's time in full", `(() => { const m = [...document.querySelectorAll("#messages .msg")].find(m => m.innerText.includes("$900"));
		return m.querySelector(".msg-meta time").title; })()`)
	b.step("Bob's Home", openConv("app", "empowerbot"), clickCSS(`.tab[data-tab="home"]`), waitText("#home", "asked"))
	home := b.evalString("the Home's line", `document.querySelector("#home").innerText`)
	asked := regexp.MustCompile(`asked (\d{1,2}:\d{2} [AP]M) ([A-Z]{2,5}|[-+]\d{2,4})`).FindStringSubmatch(home)
	if asked == nil {
		t.Fatalf("Bob's Home does not say when it was asked on the bot's clock:\n%s", home)
	}
	bot := b.evalString("the bot clock", `document.querySelector("#clock-now").textContent`)
	// The card is posted just after the decision is made: the same minute, or the next.
	if d := (minuteOfDay(t, card) - minuteOfDay(t, asked[1]) + 1440) % 1440; d > 1 {
		t.Errorf("the card shows %q, the bot wrote 'asked %s %s': the page's message times are not the bot's", card, asked[1], asked[2])
	}
	if !strings.Contains(bot, " "+asked[2]) || !strings.Contains(title, asked[2]) {
		t.Errorf("the page's clock %q and the card's full time %q should name the bot's zone %s", bot, title, asked[2])
	}
	if !strings.Contains(bot, "+11d") {
		t.Errorf("the page's clock %q should say it is 11 days ahead", bot)
	}
}

// contrastFailures is JavaScript listing the visible text on the page below AA contrast
// (4.5:1) against what is behind it: the text's colour and every background up to an opaque
// one, with the opacity of the elements on the way. Emoji-only text and text in inputs the
// browser draws are left out.
const contrastFailures = `(() => {
	const rgba = (c) => { const v = (c.match(/[\d.]+/g) || []).map(Number); return { r: v[0] || 0, g: v[1] || 0, b: v[2] || 0, a: v.length > 3 ? v[3] : 1 }; };
	const over = (top, under) => ({ r: top.r * top.a + under.r * (1 - top.a), g: top.g * top.a + under.g * (1 - top.a), b: top.b * top.a + under.b * (1 - top.a), a: 1 });
	const lum = (c) => [c.r, c.g, c.b].map(x => { x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); }).reduce((s, x, i) => s + x * [0.2126, 0.7152, 0.0722][i], 0);
	const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
	const behind = (e) => { const layers = []; for (let n = e; n; n = n.parentElement) { const c = rgba(getComputedStyle(n).backgroundColor); if (c.a > 0) layers.push(c); if (c.a >= 1) break; }
		let bg = { r: 255, g: 255, b: 255, a: 1 }; for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg); return bg; };
	const opacity = (e) => { let o = 1; for (let n = e; n; n = n.parentElement) o *= Number(getComputedStyle(n).opacity); return o; };
	// an open dialog's backdrop dims what is behind it: only the dialog and the top bar are read then
	const top = [...document.querySelectorAll("#confirm-backdrop, #modal-backdrop")].filter(d => !d.hidden).pop();
	const out = [];
	const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
	for (let t = walk.nextNode(); t; t = walk.nextNode()) {
		const text = t.textContent.trim();
		if (!text || !/[A-Za-z0-9]/.test(text)) continue;
		const e = t.parentElement;
		if (!e || top && !top.contains(e) && !e.closest("#topbar") || e.closest("option, select, .sr-only") || !e.getClientRects().length || e.offsetParent === null && getComputedStyle(e).position !== "fixed") continue;
		const st = getComputedStyle(e);
		if (st.visibility === "hidden") continue;
		const bg = behind(e), fg = rgba(st.color);
		fg.a *= opacity(e);
		const r = ratio(over(fg, bg), bg);
		if (r < 4.5) out.push(text.slice(0, 40) + " [" + e.tagName.toLowerCase() + (e.className ? "." + String(e.className).split(" ").join(".") : "") + "] " + r.toFixed(2) + ":1");
	}
	return [...new Set(out)].join("\n");
})()`

// TestSandboxBrowserContrast (issue 16 item 16): every piece of text the page shows — grey
// hints and times, the sidebar, the tour, a card with its buttons, an ephemeral reply, the
// Home, a modal and a confirm — reaches AA contrast (4.5:1) against its background.
func TestSandboxBrowserContrast(t *testing.T) {
	b := newBrowser(t)
	_, base := start(t, sandbox.Config{})
	check := func(where string) {
		t.Helper()
		if got := b.evalString("contrast", contrastFailures); got != "" {
			t.Errorf("%s: text below AA contrast (4.5:1):\n%s", where, got)
		}
	}
	b.step("open the page", chromedp.EmulateViewport(1280, 800), chromedp.Navigate(base),
		chromedp.WaitVisible(chromedp.CSS(`#tour-steps .step[data-step="inside"]`)), beUser("U0ALICE"))
	check("the page with the tour")
	b.step("Alice logs $900 in #general", openConv("C0GENERAL", "general"),
		command("/empower discount 900 for ACME loyal customer"), waitText("#messages .msg.ephemeral", "$900"),
		clickCSS(`button[data-advance="1h"]`), waitText("#toasts .toast", "an hour ahead"))
	check("#general with an ephemeral reply, a toast and the clock moved")
	b.step("Bob's escalations", beUser("U0BOB"), openConv("C0ESCALATE", "escalations"), waitButton("#messages", "Approve"))
	check("the escalation card")
	b.step("the decline confirm", clickIn("#messages", "Decline"), chromedp.WaitVisible(chromedp.ID("confirm")))
	check("the confirm dialog")
	b.step("the decline modal", clickCSS("#confirm-ok"), chromedp.WaitVisible(chromedp.CSS(`#modal textarea`)))
	check("the decline modal")
	b.step("the decline modal says where the reason goes, and (optional) once (item 6)",
		evalTrue("DM and card", `(() => { const t = document.querySelector("#modal").innerText; return /\bDM\b/.test(t) && /\bcard\b/.test(t); })()`),
		evalTrue("(optional) once", `document.querySelector("#modal").innerText.split("optional").length === 2`))
	b.step("close it", clickCSS("#modal-close"), chromedp.WaitNotVisible(chromedp.ID("modal-backdrop")))
	b.step("Bob's Home", openConv("app", "empowerbot"), clickCSS(`.tab[data-tab="home"]`), waitText("#home", "asked"))
	check("the App Home")
	b.step("the log modal", clickCSS(`.tab[data-tab="messages"]`), command("/empower"),
		chromedp.WaitVisible(chromedp.CSS(`#modal .bk-input[data-block="amount"] input`)))
	check("the log modal")
}

// clearToasts removes the notes the page shows for a moment, before a screenshot.
func clearToasts() chromedp.Action[chromedp.Void] {
	return evalTrue("toasts removed", `(() => { document.querySelectorAll(".toast").forEach(t => t.remove()); return true; })()`)
}

// lastCard is JavaScript finding the last message in #messages whose text has text.
func lastCard(text string) string {
	return fmt.Sprintf(`[...document.querySelectorAll("#messages .msg")].filter(m => m.innerText.includes(%s)).pop()`, strconv.Quote(text))
}

// TestSandboxBrowserCardBeforeAndAfter: an escalation card before and after a decision, at
// 1280×800 (Bob approves Alice's $900) and at 390×844 (he declines her $700 with a reason):
// the card is whole in the window without sideways scroll, its buttons are there before and
// gone after, and the decided card says who decided. With UPDATE_SCREENSHOTS=1 it writes
// docs/screenshots/card-{before,after}-{1280,390}.png.
func TestSandboxBrowserCardBeforeAndAfter(t *testing.T) {
	b := newBrowser(t)
	_, base := start(t, sandbox.Config{})
	b.step("open the page", chromedp.EmulateViewport(1280, 800), chromedp.Navigate(base),
		chromedp.WaitVisible(chromedp.CSS(`button.who[data-user="U0ALICE"]`)), clickCSS("#tour-close"), chromedp.WaitNotVisible(chromedp.ID("tour")),
		waitText("#banner", "nothing persists"), clickCSS("#banner-close"), chromedp.WaitNotVisible(chromedp.ID("banner")))
	b.step("Alice logs $900", beUser("U0ALICE"), openConv("C0GENERAL", "general"),
		command("/empower discount 900 for ACME, loyal customer, late delivery #customer-first"), waitText("#messages .msg.ephemeral", "$900"))
	b.step("Bob's card before", beUser("U0BOB"), openConv("C0ESCALATE", "escalations"), waitButton("#messages", "Approve"),
		clearToasts(), evalTrue("no sideways scroll", noSideScroll),
		evalTrue("the card's buttons are in the window", `(() => { const m = `+lastCard("$900")+`; const r = m.getBoundingClientRect(); return r.bottom <= innerHeight && r.top >= 0; })()`))
	b.screenshot("screenshots/card-before-1280.png")
	b.step("Bob approves", clickIn("#messages", "Approve"), confirmIfAsked(), waitText("#messages .msg", "Approved by"),
		poll(`![...document.querySelectorAll("#messages button")].some(b => b.innerText.trim() === "Approve")`), clearToasts())
	b.screenshot("screenshots/card-after-1280.png")

	b.step("Alice logs $700 at phone width", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`body[data-ready]`)), evalTrue("the banner stays hidden", `document.querySelector("#banner").hidden`),
		setValue("#people-select", "U0ALICE"), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="U0ALICE"]`)),
		clickCSS("#menu"), chromedp.WaitVisible(chromedp.CSS(`#sidebar a[data-conv="C0GENERAL"]`)), clickCSS(`#sidebar a[data-conv="C0GENERAL"]`), waitText("#conv-title", "general"),
		command("/empower discount 700 for Initech, shipping damage"), waitText("#messages .msg.ephemeral", "$700"))
	b.step("Bob's card before, on a phone", setValue("#people-select", "U0BOB"), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="U0BOB"]`)),
		clickCSS("#menu"), chromedp.WaitVisible(chromedp.CSS(`#sidebar a[data-conv="C0ESCALATE"]`)), clickCSS(`#sidebar a[data-conv="C0ESCALATE"]`), waitText("#conv-title", "escalations"),
		poll(`getComputedStyle(document.querySelector("#sidebar")).visibility === "hidden"`),
		waitText("#messages .msg", "$700"), waitButton("#messages", "Decline"), clearToasts(),
		evalTrue("no sideways scroll", noSideScroll),
		evalTrue("the card is whole in the window", `(() => { const r = `+lastCard("$700")+`.getBoundingClientRect(), m = document.querySelector("#messages").getBoundingClientRect(); return r.top >= m.top && r.bottom <= m.bottom; })()`),
		evalTrue("the composer's placeholder fits", `(() => { const i = document.querySelector("#composer-input"); const c = document.createElement("canvas").getContext("2d"); c.font = getComputedStyle(i).font; return c.measureText(i.placeholder).width <= i.clientWidth - 24; })()`),
		evalTrue("the card fits the width", `(() => { const m = `+lastCard("$700")+`; return m.scrollWidth <= m.clientWidth + 1 && m.getBoundingClientRect().right <= innerWidth; })()`),
		evalTrue("the card's buttons are in the window", `(() => { const bs = [...`+lastCard("$700")+`.querySelectorAll("button.bk-button")]; return bs.length >= 3 && bs.every(b => { const r = b.getBoundingClientRect(); return r.left >= 0 && r.right <= innerWidth && r.bottom <= innerHeight && r.top >= 0; }); })()`))
	b.screenshot("screenshots/card-before-390.png")
	b.step("Bob declines with a reason", clickIn("#messages", "Decline"), confirmIfAsked(), chromedp.WaitVisible(chromedp.CSS(`#modal textarea`)),
		poll(inViewport("#modal-submit")), chromedp.SendKeys(chromedp.CSS(`#modal textarea`), "Initech's damage claim is with the carrier; let's wait for it"),
		clickCSS("#modal-submit"), chromedp.WaitNotVisible(chromedp.ID("modal-backdrop")),
		poll(`(() => { const m = `+lastCard("$700")+`; return !!m && m.innerText.includes("Declined by") && !m.querySelector("button.bk-button"); })()`),
		clearToasts(), evalTrue("no sideways scroll", noSideScroll))
	b.screenshot("screenshots/card-after-390.png")
}
