package sandbox_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/empowerbot/empowerbot/sandbox"
)

// command types a command in the composer and sends it.
func command(text string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		evalTrue("clear the composer", `(() => { document.querySelector("#composer-input").value = ""; return true; })()`),
		chromedp.SendKeys(chromedp.ID("composer-input"), text),
		chromedp.Click(chromedp.ID("send")))
}

// openConv opens a channel of the sidebar ("app" is the bot's DM) and waits for its title.
func openConv(id, title string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(clickCSS(`a[data-conv="`+id+`"]`), waitText("#conv-title", title))
}

// runJob clicks a job's Run now and waits until it has finished.
func runJob(name string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(clickCSS(`button[data-job="`+name+`"]`),
		waitText("#toasts .toast", name+" ran"))
}

// TestSandboxBrowserOutcomeAndDigestChart: Dave's decision inside the box is followed up three
// days later; "It worked" with a note posts praise with the note quoted; the digest posted by
// Run now shows its chart, an image the page loads from the emulator's uploaded bytes.
func TestSandboxBrowserOutcomeAndDigestChart(t *testing.T) {
	b := newBrowser(t)
	_, base := start(t, sandbox.Config{})
	b.step("open the page as Dave", chromedp.Navigate(base), chromedp.WaitVisible(chromedp.CSS(`button.who[data-user="U0DAVE"]`)), beUser("U0DAVE"))
	b.step("Dave logs a $120 discount", openConv("app", "empowerbot"),
		command("/empower discount 120 for Globex fixed late #customer-first"),
		waitText("#messages .msg", "$120"))
	b.step("three days later the follow-up DM asks how it went",
		chromedp.Click(chromedp.CSS(`button[data-advance="3d"]`)), waitText("#clock-now", "+3d"),
		runJob("outcome_followups"),
		waitText("#messages .msg", "turn out"), waitButton("#messages", "It worked"))
	b.step("It worked", clickButton("messages", "It worked"), waitText("#messages .msg", "worked"),
		waitButton("#messages", "Add a note"))
	b.step("Add a note opens a modal", clickButton("messages", "Add a note"), chromedp.WaitVisible(chromedp.CSS(`#modal textarea`)),
		chromedp.SendKeys(chromedp.CSS(`#modal textarea`), "they renewed for two years"),
		chromedp.Click(chromedp.ID("modal-submit")), chromedp.WaitNotVisible(chromedp.ID("modal-backdrop")))
	b.step("the praise post quotes the note", openConv("C0PRAISE", "praise"),
		waitText("#messages .msg blockquote", "they renewed for two years"),
		evalTrue("no raw quote marker", `!document.querySelector("#messages").innerText.includes(">they renewed")`))

	b.step("Bob runs the digest in #leaders", beUser("U0BOB"), openConv("C0LEADERS", "leaders"),
		runJob("digest"), waitText("#messages .msg", "Weekly digest"))
	b.step("the digest shows its chart",
		chromedp.WaitVisible(chromedp.CSS(`#messages .msg .file img`)),
		poll(`(() => { const i = document.querySelector("#messages .msg .file img"); return i.complete && i.naturalWidth > 100; })()`),
		evalTrue("the chart has alt text", `document.querySelector("#messages .msg .file img").alt.includes("chart")`))
	b.step("clear the toasts", evalTrue("toasts removed", `(() => { document.querySelectorAll(".toast").forEach(t => t.remove()); return true; })()`))
	b.screenshot("sandbox-digest.png")

	src, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector("#messages .msg .file img").src`))
	if err != nil {
		t.Fatalf("read the chart's URL: %v", err)
	}
	code, _, hdr := get(t, src)
	if code != http.StatusOK || hdr.Get("Content-Type") != "image/png" || hdr.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("GET %s: %d, Content-Type %q, nosniff %q; want 200 image/png nosniff", src, code, hdr.Get("Content-Type"), hdr.Get("X-Content-Type-Options"))
	}
	if code, _, _ := get(t, base+"api/files/F0NOPE"); code != http.StatusNotFound {
		t.Errorf("an unknown file: %d, want 404", code)
	}
}

// TestSandboxBrowserHomeApprovals: Bob's App Home lists Dave's decision above the box with
// Approve / Escalate / Decline; Approve works from the Home, which then drops it, and Dave is told.
func TestSandboxBrowserHomeApprovals(t *testing.T) {
	b := newBrowser(t)
	_, base := start(t, sandbox.Config{})
	b.step("open the page as Dave", chromedp.Navigate(base), chromedp.WaitVisible(chromedp.CSS(`button.who[data-user="U0DAVE"]`)), beUser("U0DAVE"))
	b.step("Dave logs two decisions above the box", openConv("C0GENERAL", "general"),
		command("/empower discount 900 for ACME loyal customer #customer-first"), waitText("#messages .msg.ephemeral", "ACME"),
		command("/empower discount 700 for Umbrella late delivery"), waitText("#messages .msg.ephemeral", "Umbrella"))

	b.step("Bob's Home lists both with the three buttons", beUser("U0BOB"), openConv("app", "empowerbot"),
		chromedp.Click(chromedp.CSS(`.tab[data-tab="home"]`)),
		waitText("#home", "Waiting for your answer"), waitText("#home", "ACME"), waitText("#home", "Umbrella"),
		evalTrue("three buttons per decision", `["Approve", "Escalate", "Decline"].every(l => [...document.querySelectorAll("#home button.bk-button")].filter(b => b.innerText.trim() === l).length === 2)`))
	b.screenshot("sandbox-home.png")
	// The first decision listed is the oldest or the newest: approve the one whose
	// section comes right before the first Approve button.
	first, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(() => {
		const btn = [...document.querySelectorAll("#home button.bk-button")].find(b => b.innerText.trim() === "Approve");
		let n = btn.closest(".bk-actions").previousElementSibling;
		return n.innerText.includes("ACME") ? "ACME" : "Umbrella"; })()`))
	if err != nil {
		t.Fatalf("find the first decision: %v", err)
	}
	other := map[string]string{"ACME": "Umbrella", "Umbrella": "ACME"}[first]
	b.step("Approve from the Home", clickButton("home", "Approve"),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`(() => { const c = document.querySelector("#confirm-backdrop"); if (c && !c.hidden) document.querySelector("#confirm-ok").click(); return true; })()`)(ctx, tg)
			return err
		}),
		poll(fmt.Sprintf(`!document.querySelector("#home").innerText.includes(%s)`, strconv.Quote(first))),
		waitText("#home", other),
		evalTrue("one decision's buttons left", `[...document.querySelectorAll("#home button.bk-button")].filter(b => b.innerText.trim() === "Approve").length === 1`))
	b.step("the escalation message says who approved", chromedp.Click(chromedp.CSS(`.tab[data-tab="messages"]`)),
		openConv("C0ESCALATE", "escalations"), waitText("#messages .msg", "Approved by"))
	b.step("Dave is told by DM", beUser("U0DAVE"), openConv("app", "empowerbot"),
		chromedp.Click(chromedp.CSS(`.tab[data-tab="messages"]`)),
		waitText("#messages .msg", "@bob approved your discount"))
}

// TestSandboxBrowserAskAcceptWithDatePicker: Dave asks Bob for support by a date; Bob's Accept
// opens a modal whose date picker starts at the asked date; Bob moves it and commits; the
// commitment list shows the new date with a Done button that works in the private reply.
func TestSandboxBrowserAskAcceptWithDatePicker(t *testing.T) {
	b := newBrowser(t)
	_, base := start(t, sandbox.Config{})
	b.step("open the page as Dave", chromedp.Navigate(base), chromedp.WaitVisible(chromedp.CSS(`button.who[data-user="U0DAVE"]`)), beUser("U0DAVE"))
	b.step("Dave asks Bob", openConv("C0GENERAL", "general"),
		command("/empower ask @bob a second monitor by 2027-01-15"), waitText("#messages .msg.ephemeral", "a second monitor"))
	b.step("Bob's DM has Accept / Decline", beUser("U0BOB"), openConv("app", "empowerbot"),
		chromedp.Click(chromedp.CSS(`.tab[data-tab="messages"]`)), waitText("#messages .msg", "a second monitor"),
		waitButton("#messages", "Decline"))
	b.step("Accept opens a modal with the asked date", clickButton("messages", "Accept"),
		chromedp.WaitVisible(chromedp.CSS(`#modal input[type=date]`)),
		evalTrue("the date picker starts at the asked date", `document.querySelector("#modal input[type=date]").value === "2027-01-15"`))
	b.step("Bob commits to a later date", setValue(`#modal input[type=date]`, "2027-01-22"),
		chromedp.Click(chromedp.ID("modal-submit")), chromedp.WaitNotVisible(chromedp.ID("modal-backdrop")),
		waitText("#messages .msg", "Jan 22, 2027"))
	b.step("the commitments list has Done", openConv("C0GENERAL", "general"), command("/empower commitments"),
		waitText("#messages .msg.ephemeral", "a second monitor"),
		waitButton("#messages", "Done"))
	b.step("Done works in the private list", clickButton("messages", "Done"),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`(() => { const c = document.querySelector("#confirm-backdrop"); if (c && !c.hidden) document.querySelector("#confirm-ok").click(); return true; })()`)(ctx, tg)
			return err
		}),
		poll(`![...document.querySelectorAll("#messages button")].some(b => b.innerText.trim() === "Done")`),
		waitText("#messages .msg.ephemeral", "done"))
}
