package handlers

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/service/insights"
	"github.com/empowerbot/empowerbot/stats"
)

// manyTeams are n teams with long names and some figures.
func manyTeams(n int) []insights.TeamFigures {
	teams := make([]insights.TeamFigures, n)
	for i := range teams {
		teams[i] = insights.TeamFigures{
			Name:    fmt.Sprintf("team %03d %s", i, strings.Repeat("x", 90)),
			Figures: stats.Figures{Inside: i, Above: 2, Approved: 1},
		}
	}
	return teams
}

// sectionsFit fails the test unless blocks are at most max, each section
// within Slack's 3,000 characters.
func sectionsFit(t *testing.T, what string, blocks []slack.Block, max int) string {
	t.Helper()
	if len(blocks) > max {
		t.Errorf("%s: %d blocks, want at most %d", what, len(blocks), max)
	}
	var all strings.Builder
	for _, b := range blocks {
		if s, ok := b.(*slack.SectionBlock); ok && s.Text != nil {
			if n := len([]rune(s.Text.Text)); n > 3000 {
				t.Errorf("%s: a section of %d characters", what, n)
			}
			all.WriteString(s.Text.Text + "\n")
		}
	}
	return all.String()
}

// A director of many teams gets a line per team within Slack's limits.
func TestStatsReplyManyTeams(t *testing.T) {
	r := statsReply(&insights.Stats{Days: 7, Team: true, Teams: manyTeams(120)})
	text := sectionsFit(t, "stats of 120 teams", r.Blocks, 50)
	if !strings.Contains(text, "Your teams' outcomes") || !strings.Contains(text, "• *team 000") {
		t.Errorf("stats of many teams:\n%s", text)
	}
	one := statsReply(&insights.Stats{Days: 30, Team: true, Teams: manyTeams(1)})
	if text := sectionsFit(t, "stats of one team", one.Blocks, 50); !strings.Contains(text, "*Team team 000") || strings.Contains(text, "By team") {
		t.Errorf("stats of one team:\n%s", text)
	}
}

// The organisation's digest of many teams stays within Slack's limits; a
// team digest names its team.
func TestDigestTeams(t *testing.T) {
	now := time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC)
	cur := stats.Figures{Input: stats.Input{From: now.AddDate(0, 0, -7), To: now, Loc: time.UTC}}
	_, blocks := DigestMessage(&cur, &cur)
	org := orgDigest(blocks, manyTeams(120))
	text := sectionsFit(t, "digest of 120 teams", org, 50)
	if !strings.Contains(text, "By team") || !strings.Contains(text, "more teams") {
		t.Errorf("digest of many teams:\n%s", text)
	}
	if _, ok := org[0].(*slack.HeaderBlock); !ok {
		t.Errorf("the digest does not start with its header: %T", org[0])
	}
	msg, blocks := DigestMessage(&cur, &cur)
	msg, blocks = teamDigest("north", msg, blocks)
	if h := blocks[0].(*slack.HeaderBlock).Text.Text; !strings.HasPrefix(h, "north · Weekly digest") {
		t.Errorf("team digest header = %q", h)
	}
	if !strings.HasPrefix(msg, "Team north: Weekly digest") {
		t.Errorf("team digest text = %q", msg)
	}
}
