package sandbox_test

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/empowerbot/empowerbot/sandbox"
)

// clickFirst clicks the first visible button labelled label in #messages and waits until one
// fewer such button is left (the message it was on is updated in place).
func clickFirst(label string) chromedp.Action[chromedp.Void] {
	q := strconv.Quote(label)
	count := fmt.Sprintf(`[...document.querySelectorAll("#messages button")].filter(b => b.offsetParent !== null && b.innerText.trim() === %s)`, q)
	return chromedp.Steps(
		evalTrue("remember how many "+label, fmt.Sprintf(`(() => { window.__before = %s.length; return window.__before > 0; })()`, count)),
		evalTrue("click "+label, fmt.Sprintf(`(() => { const b = %s[0]; if (!b) return false; b.click(); return true; })()`, count)),
		poll(fmt.Sprintf(`%s.length === window.__before - 1`, count)),
	)
}

// TestSandboxBrowserEarnedAutonomy: in the sample, Alice's three discounts above her $500 box
// are approved by Bob; three days later she answers It worked to each follow-up, and Bob's DM
// proposes to raise her box to $900. He raises it; Alice is told and her box shows it. The
// screenshots are autonomy-proposal.png and autonomy-box.png (into docs/ with UPDATE_SCREENSHOTS=1).
func TestSandboxBrowserEarnedAutonomy(t *testing.T) {
	b := newBrowser(t)
	_, base := start(t, sandbox.Config{})
	b.step("open the page as Alice", chromedp.Navigate(base), chromedp.WaitVisible(chromedp.CSS(`button.who[data-user="U0ALICE"]`)), beUser("U0ALICE"))
	b.step("Alice logs three discounts above her box", openConv("app", "empowerbot"),
		command("/empower discount 600 for ACME late delivery"), waitText("#messages .msg", "$600"),
		command("/empower discount 900 for Globex renewal at risk"), waitText("#messages .msg", "$900"),
		command("/empower discount 700 for Initech billing error"), waitText("#messages .msg", "$700"))
	b.step("Bob approves them", beUser("U0BOB"), openConv("C0ESCALATE", "escalations"),
		waitText("#messages .msg", "Initech"),
		clickFirst("Approve"), clickFirst("Approve"), clickFirst("Approve"))
	b.step("three days later Alice says each worked", beUser("U0ALICE"), openConv("app", "empowerbot"),
		chromedp.Click(chromedp.CSS(`button[data-advance="3d"]`)), waitText("#clock-now", "+3d"),
		runJob("outcome_followups"),
		poll(`[...document.querySelectorAll("#messages button")].filter(b => b.innerText.trim() === "It worked").length === 3`),
		clickFirst("It worked"), clickFirst("It worked"), clickFirst("It worked"))
	b.step("Bob's DM proposes a raise", beUser("U0BOB"), openConv("app", "empowerbot"),
		waitText("#messages .msg", "were all approved and none failed"),
		chromedp.WaitVisible(chromedp.Search(`//*[@id="messages"]//button[normalize-space(.)="Raise to $900"]`)))
	b.screenshot("autonomy-proposal.png")
	b.step("Bob raises it", clickButton("messages", "Raise to $900"),
		waitText("#messages .msg", "raised @alice's discount box to $900"))
	b.step("Alice is told, and her box shows it", beUser("U0ALICE"), openConv("app", "empowerbot"),
		waitText("#messages .msg", "your discount box grew to $900, thanks to your track record"),
		command("/empower box"), waitText("#messages .msg.ephemeral", "earned: raised from $500 by @bob"))
	b.screenshot("autonomy-box.png")
}
