package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/empowerbot/empowerbot/apptest"
	"github.com/empowerbot/empowerbot/jobs"
	"github.com/empowerbot/empowerbot/slackemu"
)

// A shutdown (SIGTERM) that comes while the digest is being posted lets the
// post finish: the tick's digest is claimed before posting, so an
// interrupted post would never be made by the restart or another replica.
func TestDigestPostSurvivesShutdownMidPost(t *testing.T) {
	e := apptest.Start(t, apptest.Options{})
	// Slack asks the upload to wait a second: the shutdown comes meanwhile.
	e.Emu.InjectRateLimit("files.getUploadURLExternal", 1, time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Bots()[0].App.Jobs.RunNow(ctx, jobs.JobDigest) }()
	if err := e.Emu.WaitCalls(e.Ctx(), "files.getUploadURLExternal", 1); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("digest run interrupted by the shutdown: %v", err)
	}
	if _, err := e.Emu.WaitMessage(e.Ctx(), apptest.Leaders, func(m slackemu.Message) bool { return len(m.Files) > 0 }); err != nil {
		t.Fatalf("the digest claimed before the shutdown was never posted: %v\n%s", err, e.Logs.Lines("digest"))
	}
}
