package handlers

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/empowerbot/empowerbot/service/feedback"
)

// peopleAPI is a hand-written PeopleAPI.
type peopleAPI struct {
	listErr  error // users.list's answer, when set
	users    []slack.User
	groups   map[string][]string
	groupErr error                 // usergroups.users.list's answer, when set
	info     map[string]slack.User // users.info answers for IDs users.list lacks
	infos    []string              // the IDs users.info was asked for
}

func (d *peopleAPI) GetUsersContext(context.Context, ...slack.GetUsersOption) ([]slack.User, error) {
	if d.listErr != nil {
		return nil, d.listErr
	}
	return d.users, nil
}

func (d *peopleAPI) GetUserInfoContext(_ context.Context, id string, _ ...slack.GetUserInfoOption) (*slack.User, error) {
	d.infos = append(d.infos, id)
	if u, ok := d.info[id]; ok {
		return &u, nil
	}
	return nil, slack.SlackErrorResponse{Err: "user_not_found"}
}

func (d *peopleAPI) GetUserGroupMembersContext(_ context.Context, g string, _ ...slack.GetUserGroupMembersOption) ([]string, error) {
	if d.groupErr != nil {
		return nil, d.groupErr
	}
	m, ok := d.groups[g]
	if !ok {
		return nil, slack.SlackErrorResponse{Err: "no_such_subteam"}
	}
	return m, nil
}

func TestFeedbackDirectoryPeople(t *testing.T) {
	api := &peopleAPI{
		users: []slack.User{
			{ID: "U1"}, {ID: "UBOT", IsBot: true}, {ID: "UGONE", Deleted: true}, {ID: "USLACKBOT"},
		},
		info: map[string]slack.User{"W9": {ID: "W9"}},
	}
	got, err := FeedbackDirectory{Slack: api}.People(t.Context(), []string{"U1", "UBOT", "UGONE", "USLACKBOT", "W9", "UNOPE"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]feedback.Person{
		"U1": {}, "UBOT": {Bot: true}, "UGONE": {Deactivated: true}, "USLACKBOT": {Bot: true}, "W9": {},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("People (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"W9", "UNOPE"}, api.infos); diff != "" {
		t.Errorf("users.info asked for (-want +got):\n%s", diff)
	}

	// users.list refused: each person is looked up with users.info.
	api = &peopleAPI{listErr: slack.SlackErrorResponse{Err: "missing_scope"},
		info: map[string]slack.User{"U1": {ID: "U1"}, "UBOT": {ID: "UBOT", IsBot: true}}}
	got, err = FeedbackDirectory{Slack: api}.People(t.Context(), []string{"U1", "UBOT", "UNOPE"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]feedback.Person{"U1": {}, "UBOT": {Bot: true}}, got); diff != "" {
		t.Errorf("People without users.list (-want +got):\n%s", diff)
	}

	// A lookup that fails for another reason fails the call.
	api = &peopleAPI{listErr: slack.SlackErrorResponse{Err: "missing_scope"}}
	down := FeedbackDirectory{Slack: &failingInfo{api}}
	if _, err := down.People(t.Context(), []string{"U1"}); err == nil {
		t.Error("People with users.info failing: no error")
	}
}

// failingInfo is a PeopleAPI whose users.info cannot answer.
type failingInfo struct{ *peopleAPI }

func (failingInfo) GetUserInfoContext(context.Context, string, ...slack.GetUserInfoOption) (*slack.User, error) {
	return nil, errors.New("connection reset")
}

func TestFeedbackDirectoryGroupMembers(t *testing.T) {
	api := &peopleAPI{groups: map[string][]string{"S1": {"U2", "U3"}}}
	d := FeedbackDirectory{Slack: api}
	got, err := d.GroupMembers(t.Context(), "S1")
	if err != nil || !cmp.Equal(got, []string{"U2", "U3"}) {
		t.Errorf("GroupMembers(S1) = %v, %v; want [U2 U3]", got, err)
	}
	if _, err := d.GroupMembers(t.Context(), "S404"); !errors.Is(err, feedback.ErrUnknownGroup) {
		t.Errorf("GroupMembers(S404) error = %v; want ErrUnknownGroup", err)
	}
	api.groupErr = errors.New("connection reset")
	if _, err := d.GroupMembers(t.Context(), "S1"); err == nil || errors.Is(err, feedback.ErrUnknownGroup) {
		t.Errorf("GroupMembers with Slack down error = %v; want an error that is not ErrUnknownGroup", err)
	}
}
