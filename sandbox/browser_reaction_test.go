package sandbox_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/empowerbot/empowerbot/sandbox"
)

// TestSandboxBrowserPraiseByReaction: Dave says what he fixed in #general;
// Alice clicks the :clap: button on his message; #praise shows her praise of
// Dave linking the message, and the button shows her reaction. The
// screenshot is reaction-praise.png.
func TestSandboxBrowserPraiseByReaction(t *testing.T) {
	b := newBrowser(t)
	_, base := start(t, sandbox.Config{})

	b.step("open the page", chromedp.Navigate(base), chromedp.WaitVisible(chromedp.CSS(`button.who[data-user="U0DAVE"]`)))
	b.step("be Dave", beUser("U0DAVE"))
	b.step("Dave says what he fixed", openConv("C0GENERAL", "general"),
		command("Rolled back the ACME config: their checkout works again"),
		waitText("#messages .msg", "checkout works again"))
	b.step("be Alice in #general", beUser("U0ALICE"),
		openConv("C0GENERAL", "general"), waitText("#messages .msg", "checkout works again"))
	b.step("Alice claps", clickCSS(`#messages .msg button.reaction.add[data-react="clap"]`),
		waitText("#messages .msg button.reaction.mine", "1"))
	b.step("the praise post links the message", openConv("C0PRAISE", "praise"),
		waitText("#messages .msg", "praises"), waitText("#messages .msg", "this message"),
		evalTrue("the link is the message's permalink",
			`[...document.querySelectorAll("#messages .msg a")].some(a => a.innerText === "this message" && a.href.includes("/archives/C0GENERAL/p"))`))
	b.screenshot("reaction-praise.png")
}
