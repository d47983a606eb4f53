package sandbox_test

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/empowerbot/empowerbot/sandbox"
)

// answerFeedback clicks the newest Answer button of the feedback DM, types text and sends
// it anonymously, waiting for the modal's thank-you holding want.
func answerFeedback(text, want string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		evalTrue("click the newest Answer", `(() => { const bs = [...document.querySelectorAll("#messages button")].filter(b => b.offsetParent !== null && b.innerText.trim() === "Answer");
			if (!bs.length) return false; bs[bs.length - 1].click(); return true; })()`),
		chromedp.WaitVisible(chromedp.CSS(`#modal .bk-input[data-block="feedback_text"] textarea`)),
		chromedp.SendKeys(chromedp.CSS(`#modal .bk-input[data-block="feedback_text"] textarea`), text),
		clickCSS(`#modal .bk-input[data-block="feedback_anon"] input[value="anonymous"]`),
		chromedp.Click(chromedp.ID("modal-submit")),
		waitText("#modal-body", want),
		chromedp.Click(chromedp.ID("modal-close")), chromedp.WaitNotVisible(chromedp.ID("modal-backdrop")))
}

// clickOnMessage clicks the button labelled label on the message holding text.
func clickOnMessage(text, label string) chromedp.Action[chromedp.Void] {
	return poll(fmt.Sprintf(`(() => { const m = [...document.querySelectorAll("#messages .msg")].find(m => m.innerText.includes(%s));
		if (!m) return false; const b = [...m.querySelectorAll("button")].find(b => b.innerText.trim() === %s); if (!b) return false; b.click(); return true; })()`,
		strconv.Quote(text), strconv.Quote(label)))
}

// TestSandboxBrowserClosingTheLoop: in the sample, north (Alice and Dave) answers the
// feedback question anonymously; the floor (3) holds the answers back until the third, then
// all three reach #leaders together. Bob replies to one: Alice, who wrote it, gets the reply
// by DM, still anonymous. He commits to another (to the team, as it is anonymous), marks it
// done, and Alice is told "You said … — we did …". The screenshots are loop-held.png,
// loop-reply.png and loop-done.png (into docs/ with UPDATE_SCREENSHOTS=1).
func TestSandboxBrowserClosingTheLoop(t *testing.T) {
	b := newBrowser(t)
	_, base := start(t, sandbox.Config{})
	b.step("open the page as Alice", chromedp.Navigate(base), chromedp.WaitVisible(chromedp.CSS(`button.who[data-user="U0ALICE"]`)), beUser("U0ALICE"))
	b.step("the weekly question arrives", openConv("app", "empowerbot"), runJob("feedback"),
		waitText("#messages .msg", "This week's question"), waitButton("#messages", "Answer"))
	b.step("Alice answers anonymously: held for the floor",
		evalTrue("click Answer", `(() => { const b = [...document.querySelectorAll("#messages button")].find(b => b.innerText.trim() === "Answer"); if (!b) return false; b.click(); return true; })()`),
		chromedp.WaitVisible(chromedp.CSS(`#modal .bk-input[data-block="feedback_text"] textarea`)),
		chromedp.SendKeys(chromedp.CSS(`#modal .bk-input[data-block="feedback_text"] textarea`), "Please stop the surprise weekend shifts: I can't plan anything."),
		clickCSS(`#modal .bk-input[data-block="feedback_anon"] input[value="anonymous"]`),
		chromedp.Click(chromedp.ID("modal-submit")),
		waitText("#modal-body", "at least 3"))
	b.screenshot("loop-held.png")
	b.step("close the thank-you", chromedp.Click(chromedp.ID("modal-close")), chromedp.WaitNotVisible(chromedp.ID("modal-backdrop")))
	b.step("nothing reached #leaders yet", beUser("U0BOB"), openConv("C0LEADERS", "leaders"),
		evalTrue("no anonymous post", `!document.querySelector("#messages").innerText.includes("surprise weekend")`))
	b.step("Dave answers anonymously", beUser("U0DAVE"), openConv("app", "empowerbot"), waitButton("#messages", "Answer"),
		answerFeedback("More time with customers, fewer reports.", "at least 3"))
	b.step("Alice's question DM thanks her, its Answer button gone", beUser("U0ALICE"), openConv("app", "empowerbot"),
		waitText("#messages .msg", "Thank you: your answer is in"),
		evalTrue("no Answer button left", `![...document.querySelectorAll("#messages button")].some(b => b.innerText.trim() === "Answer")`))
	b.step("Alice adds a second answer with /empower feedback: the third releases all three",
		command("/empower feedback"), chromedp.WaitVisible(chromedp.CSS(`#modal .bk-input[data-block="feedback_text"] textarea`)),
		chromedp.SendKeys(chromedp.CSS(`#modal .bk-input[data-block="feedback_text"] textarea`), "Could we get a second van for the north route?"),
		clickCSS(`#modal .bk-input[data-block="feedback_anon"] input[value="anonymous"]`),
		chromedp.Click(chromedp.ID("modal-submit")), waitText("#modal-body", "Thank you"),
		chromedp.Click(chromedp.ID("modal-close")), chromedp.WaitNotVisible(chromedp.ID("modal-backdrop")))
	b.step("Bob sees the three together in #leaders", beUser("U0BOB"), openConv("C0LEADERS", "leaders"),
		waitText("#messages .msg", "surprise weekend"), waitText("#messages .msg", "second van"), waitText("#messages .msg", "fewer reports"),
		waitText("#messages .msg", "One of 3 anonymous answers"))
	b.step("Bob replies to one", clickOnMessage("surprise weekend", "Reply"),
		chromedp.WaitVisible(chromedp.CSS(`#modal .bk-input[data-block="fb_reply"] textarea`)),
		chromedp.SendKeys(chromedp.CSS(`#modal .bk-input[data-block="fb_reply"] textarea`), "Heard you. From December, rotas go out two weeks ahead, and weekend swaps need your OK."),
		chromedp.Click(chromedp.ID("modal-submit")), waitText("#modal-body", "Sent"),
		chromedp.Click(chromedp.ID("modal-close")), chromedp.WaitNotVisible(chromedp.ID("modal-backdrop")),
		waitText("#messages .msg", "Replied by"))
	b.step("Alice, who wrote it, gets the reply, still anonymous", beUser("U0ALICE"), openConv("app", "empowerbot"),
		waitText("#messages .msg", "replied to your feedback"), waitText("#messages .msg", "without telling them who you are"))
	b.screenshot("loop-reply.png")
	b.step("Bob commits to the van, for the team", beUser("U0BOB"), openConv("C0LEADERS", "leaders"),
		clickOnMessage("second van", "Commit to this"),
		chromedp.WaitVisible(chromedp.CSS(`#modal .bk-input[data-block="fb_what"] textarea`)),
		chromedp.SendKeys(chromedp.CSS(`#modal .bk-input[data-block="fb_what"] textarea`), "Lease a second van for the north route"),
		chromedp.SendKeys(chromedp.CSS(`#modal .bk-input[data-block="fb_when"] input`), "friday"),
		chromedp.Click(chromedp.ID("modal-submit")), waitText("#modal-body", "Committed"),
		chromedp.Click(chromedp.ID("modal-close")), chromedp.WaitNotVisible(chromedp.ID("modal-backdrop")),
		waitText("#messages .msg", "committed to this"))
	b.step("Bob marks it done", openConv("app", "empowerbot"), command("/empower commitments"),
		waitText("#messages .msg.ephemeral", "Lease a second van"), clickIn("#messages", "Done"))
	b.step("Alice is told: you said … — we did …", beUser("U0ALICE"), openConv("app", "empowerbot"),
		waitText("#messages .msg", "You said … — we did …"), waitText("#messages .msg", "Lease a second van"))
	b.screenshot("loop-done.png")
}
