package policy

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// orgPolicy generates a policy of teams teams and people front-line
// people, one user group per team and the rest users, each team with two
// leads of its own and the managers and director shared: the size issue
// 12 asks the policy to handle.
func orgPolicy(teams, people int) []byte {
	var b strings.Builder
	b.WriteString(`timezone: America/Chicago
channels: {praise: C0PRAISE, escalations: C0ESCALATE, leaders: C0LEADERS}
values: [customer-first, ownership, courage]
admins: [U0ADMIN]
levels:
  - name: team-lead
    approvers: [U0LEAD]
    respond_within: 4h
    remind_after: 2h
  - name: manager
    approvers: [U0MGR1, U0MGR2, U0MGR3]
    respond_within: 24h
    approvals_needed: 2
  - name: director
    approvers: [S0DIRECTORS]
    respond_within: 48h
teams:
`)
	perTeam := people / teams
	n := 0
	for t := range teams {
		fmt.Fprintf(&b, "  - name: team-%02d\n    members: [S0TEAM%02d", t, t)
		for range perTeam - 1 {
			fmt.Fprintf(&b, ", U%05d", n)
			n++
		}
		fmt.Fprintf(&b, "]\n    approvers:\n      team-lead: [U0LEAD%02dA, U0LEAD%02dB]\n", t, t)
		fmt.Fprintf(&b, "    channels: {escalations: C0ESC%02d, leaders: C0LEAD%02d}\n", t, t)
	}
	b.WriteString(`local_time: true
working_days: [MON, TUE, WED, THU, FRI]
activities:
  - {name: discount, frontline_limit: 500, level_limits: {team-lead: 2000, manager: 10000}}
  - {name: travel-waiver, frontline_limit: 250}
always_escalate:
  safety: manager
retention: 400d
`)
	return []byte(b.String())
}

func TestOrgPolicyParses(t *testing.T) {
	pol, err := Parse(orgPolicy(50, 5000), "org.yaml")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	members := 0
	for _, tm := range pol.Teams {
		members += len(tm.Members)
	}
	if len(pol.Teams) != 50 || members != 5000 || len(pol.Frontline) != 5000 || len(pol.Warnings) != 0 {
		t.Errorf("teams %d, members %d, frontline %d, warnings %d; want 50, 5000, 5000, 0",
			len(pol.Teams), members, len(pol.Frontline), len(pol.Warnings))
	}
}

// BenchmarkParseOrgPolicy parses the policy of 50 teams and 5,000 people.
func BenchmarkParseOrgPolicy(b *testing.B) {
	data := orgPolicy(50, 5000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data, "org.yaml"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckOrgPolicy is `empowerbot check-policy` on that policy:
// the file read, parsed and reported.
func BenchmarkCheckOrgPolicy(b *testing.B) {
	path := filepath.Join(b.TempDir(), "org.yaml")
	if err := os.WriteFile(path, orgPolicy(50, 5000), 0o600); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := Check(path, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
