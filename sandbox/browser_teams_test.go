package sandbox_test

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/empowerbot/empowerbot/sandbox"
)

// confirmIfAsked clicks OK on the page's confirm dialog when the bot asks
// for one.
func confirmIfAsked() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](`(() => { const c = document.querySelector("#confirm-backdrop"); if (c && !c.hidden) document.querySelector("#confirm-ok").click(); return true; })()`)(ctx, t)
		return err
	})
}

// TestSandboxBrowserTeamsAndTwoApprovals plays the sample organisation:
// Erin (south) logs a $900 discount and its card goes to #south-escalations
// for Grace, south's lead; Alice (north) logs $5,000, which reaches the
// managers, and it is approved only once both Carol and Heidi approved. The
// screenshots are docs/sandbox-teams.png and docs/sandbox-two-approvals.png.
func TestSandboxBrowserTeamsAndTwoApprovals(t *testing.T) {
	b := newBrowser(t)
	_, base := start(t, sandbox.Config{})

	b.step("open the page as Erin", chromedp.Navigate(base), chromedp.WaitVisible(chromedp.CSS(`button.who[data-user="U0ERIN"]`)), beUser("U0ERIN"))
	b.step("Erin logs a $900 discount", clickCSS(`a[data-conv="C0GENERAL"]`), waitText("#conv-title", "general"),
		chromedp.SendKeys(chromedp.ID("composer-input"), "/empower discount 900 for Globex late delivery"),
		chromedp.Click(chromedp.ID("send")),
		waitText("#messages .msg.ephemeral", "above your box"))
	b.step("Grace sees it in #south-escalations", beUser("U0GRACE"),
		clickCSS(`a[data-conv="C0SOUTHESC"]`), waitText("#conv-title", "south-escalations"),
		waitText("#messages .msg", "$900"), waitText("#messages .msg", "south"))
	b.screenshot("sandbox-teams.png")
	b.step("Grace approves", clickButton("messages", "Approve"), confirmIfAsked(), waitText("#messages .msg", "Approved by"))
	b.step("Erin is told", beUser("U0ERIN"), clickCSS(`a[data-conv="app"]`),
		waitText("#messages .msg", "@grace approved your discount of $900"))

	b.step("Alice logs a $5,000 discount", beUser("U0ALICE"), clickCSS(`a[data-conv="C0GENERAL"]`), waitText("#conv-title", "general"),
		chromedp.SendKeys(chromedp.ID("composer-input"), "/empower discount 5000 for ACME renewal at risk"),
		chromedp.Click(chromedp.ID("send")),
		waitText("#messages .msg.ephemeral", "above your box"))
	b.step("Carol approves first", beUser("U0CAROL"),
		clickCSS(`a[data-conv="C0ESCALATE"]`), waitText("#conv-title", "escalations"), waitText("#messages .msg", "$5,000"),
		clickButton("messages", "Approve"), confirmIfAsked(),
		waitText("#messages .msg", "1 of 2 approvals"))
	b.step("Heidi approves second", beUser("U0HEIDI"),
		clickCSS(`a[data-conv="C0ESCALATE"]`), waitText("#conv-title", "escalations"), waitText("#messages .msg", "1 of 2 approvals"))
	b.screenshot("sandbox-two-approvals.png")
	b.step("the second approval decides it", clickButton("messages", "Approve"), confirmIfAsked(),
		waitText("#messages .msg", "Approved by"))
	b.step("Alice is told", beUser("U0ALICE"), clickCSS(`a[data-conv="app"]`),
		waitText("#messages .msg", "approved your discount of $5,000"))
}
