package sandbox_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"

	"github.com/empowerbot/empowerbot/sandbox"
)

// TestSandboxBrowserMessageWhileHistoryLoads: Alice opens #general; while
// the page is still waiting for the channel's history (taken before the
// message was posted), Bob posts a message that reaches the page over the
// event stream. When the older history lands, Bob's new message is still on
// screen: the history does not wipe out what arrived while it was on its way.
// (This race lost the praise post in TestSandboxBrowserPraiseByReaction on a
// busy CI machine.)
func TestSandboxBrowserMessageWhileHistoryLoads(t *testing.T) {
	b := newBrowser(t)
	_, base := start(t, sandbox.Config{})
	b.step("open the page as Alice", chromedp.Navigate(base),
		chromedp.WaitVisible(chromedp.CSS(`button.who[data-user="U0ALICE"]`)), beUser("U0ALICE"))
	if status, body := post(t, base+"/api/message", map[string]any{"user": "U0BOB", "channel": "C0GENERAL", "text": "Older news from Bob"}); status != http.StatusOK {
		t.Fatalf("Bob's first message: %d %v", status, body)
	}
	b.step("a new message arrives while the history is held back", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		// Subscribe before enabling, so no pause is missed.
		next, stop := iter.Pull2(cdp.Events(ctx, tg, fetch.RequestPaused))
		defer stop()
		if _, err := cdp.Call(ctx, tg, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{
			{URLPattern: "*/api/messages*C0GENERAL*", RequestStage: fetch.RequestStageResponse}}}); err != nil {
			return err
		}
		defer func() { _, _ = cdp.Call(context.WithoutCancel(ctx), tg, fetch.Disable, cdp.Empty{}) }()
		if _, err := openConv("C0GENERAL", "general")(ctx, tg); err != nil {
			return err
		}
		// The server has answered (the history holds only the older
		// message); the page has not read the answer yet.
		paused, err, ok := next()
		if !ok || err != nil {
			return errors.Join(errors.New("the history of #general was never requested"), err)
		}
		if status, body := post(t, base+"/api/message", map[string]any{"user": "U0BOB", "channel": "C0GENERAL", "text": "Fresh news from Bob"}); status != http.StatusOK {
			return fmt.Errorf("Bob's second message: %d %v", status, body)
		}
		if _, err := waitText("#messages .msg", "Fresh news")(ctx, tg); err != nil {
			return err
		}
		if _, err := cdp.Call(ctx, tg, fetch.ContinueResponse, fetch.ContinueResponseParams{RequestID: paused.RequestID}); err != nil {
			return err
		}
		_, err = waitText("#messages .msg", "Older news")(ctx, tg)
		return err
	}))
	b.step("both messages are on screen, in order", evalTrue("Bob's older message, then his fresh one",
		`(() => { const t = [...document.querySelectorAll("#messages .msg")].map(m => m.innerText).join("\n");
		  const a = t.indexOf("Older news"), b = t.indexOf("Fresh news"); return a >= 0 && b > a; })()`))
}
