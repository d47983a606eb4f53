package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/empowerbot/empowerbot/domain"
)

// Feedback rounds and answers.
//
// Each run of the feedback job opens a round, named by its schedule tick
// (RoundID: the tick in Unix milliseconds). Its keys:
//
//	<prefix>:{T}:feedback:current            the newest round's ID
//	<prefix>:{T}:feedback:round:<R>          hash: question, index (in the policy's list), tick (Unix ms),
//	                                         prev (the round current when it opened)
//	<prefix>:{T}:feedback:answered:<R>       set of the people who answered round R (for the reminder
//	                                         and the response rate; never shown to anyone)
//	<prefix>:{T}:feedback:answers:<R>        list of answers, JSON (FeedbackAnswer); an anonymous
//	                                         answer carries no user ID
//	<prefix>:{T}:fanout:feedback:<R>         the round's DM ledger (see the fan-out ledger)
//	<prefix>:{T}:fanout:feedback_reminder:<R> the round's reminder ledger: one reminder per person and round
//
// Answers given outside any round (`/empower feedback` before the first
// round) go to round "-". Round data expires after FeedbackTTL.
//
// Audit events (type, subject = round ID):
//
//	feedback.round     a round's response rate: to = "open" (DMs sent), "reminded"
//	                   or "closed" (the next round started); data: question, sent,
//	                   answered, rate_pct (integer percent, 0 when sent is 0)
//	feedback.answered  one answer; actor = the person, "" when anonymous;
//	                   data: anonymous (bool)
//
// The feedback service (service/feedback) decides what the answer and the
// events say; the store keeps them.

// FeedbackTTL is how long a round's data is kept.
const FeedbackTTL = 90 * 24 * time.Hour

func (s *Store) feedbackKey(team string, parts ...string) string {
	return s.keys.Team(team, append([]string{"feedback"}, parts...)...)
}

// openRoundScript stores round KEYS[2] and makes it current when it is newer
// than KEYS[1]'s; it returns the previous current round ID ("" for none).
var openRoundScript = redis.NewScript(`
local prev = redis.call('GET', KEYS[1]) or ''
if redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('HSET', KEYS[2], 'question', ARGV[2], 'index', ARGV[3], 'tick', ARGV[1], 'prev', prev)
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
end
if prev == '' or tonumber(prev) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1])
end
return prev
`)

// OpenFeedbackRound records r and makes it the current round unless a newer
// one already is. It returns the round that was current before ("" for
// none, r.ID when r was already current).
func (s *Store) OpenFeedbackRound(ctx context.Context, team string, r domain.FeedbackRound) (string, error) {
	prev, err := openRoundScript.Run(ctx, s.rdb,
		[]string{s.feedbackKey(team, "current"), s.feedbackKey(team, "round", r.ID)},
		r.ID, r.Question, strconv.Itoa(r.Index), strconv.FormatInt(FeedbackTTL.Milliseconds(), 10)).Text()
	if err != nil {
		return "", fmt.Errorf("open feedback round: %w", err)
	}
	return prev, nil
}

// CurrentFeedbackRound returns the newest round, or nil when none started.
func (s *Store) CurrentFeedbackRound(ctx context.Context, team string) (*domain.FeedbackRound, error) {
	id, err := s.rdb.Get(ctx, s.feedbackKey(team, "current")).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("current feedback round: %w", err)
	}
	return s.FeedbackRound(ctx, team, id)
}

// FeedbackRound returns round id, or nil when it is unknown (or expired).
func (s *Store) FeedbackRound(ctx context.Context, team, id string) (*domain.FeedbackRound, error) {
	v, err := s.rdb.HGetAll(ctx, s.feedbackKey(team, "round", id)).Result()
	if err != nil {
		return nil, fmt.Errorf("feedback round %s: %w", id, err)
	}
	if len(v) == 0 {
		return nil, nil
	}
	idx, _ := strconv.Atoi(v["index"])
	ms, _ := strconv.ParseInt(v["tick"], 10, 64)
	return &domain.FeedbackRound{ID: id, Question: v["question"], Index: idx, Tick: time.UnixMilli(ms), Prev: v["prev"]}, nil
}

// SaveFeedbackAnswer stores a (given an ID when it has none), marks user
// as having answered a.Round and appends ev (the answer's
// feedback.answered event, built by the feedback service), in one step,
// with no anonymity floor: KeepFeedbackAnswer with a floor of one.
func (s *Store) SaveFeedbackAnswer(ctx context.Context, team, user string, a domain.FeedbackAnswer, ev domain.Event) error {
	if a.ID == "" {
		a.ID = domain.NewAnswerID()
	}
	_, err := s.KeepFeedbackAnswer(ctx, team, user, a, ev, 1)
	return err
}

// FeedbackAnswers returns the answers to round, oldest first.
func (s *Store) FeedbackAnswers(ctx context.Context, team, round string) ([]domain.FeedbackAnswer, error) {
	raw, err := s.rdb.LRange(ctx, s.feedbackKey(team, "answers", round), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("feedback answers: %w", err)
	}
	out := make([]domain.FeedbackAnswer, 0, len(raw))
	for _, r := range raw {
		var a domain.FeedbackAnswer
		if err := json.Unmarshal([]byte(r), &a); err != nil {
			return nil, fmt.Errorf("decode answer: %w", err)
		}
		out = append(out, a)
	}
	return out, nil
}

// FeedbackAnswered returns the set of people who answered round.
func (s *Store) FeedbackAnswered(ctx context.Context, team, round string) (map[string]bool, error) {
	ids, err := s.rdb.SMembers(ctx, s.feedbackKey(team, "answered", round)).Result()
	if err != nil {
		return nil, fmt.Errorf("feedback answered: %w", err)
	}
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// FeedbackRoundRate counts the people round's DM reached and those of them
// who answered.
func (s *Store) FeedbackRoundRate(ctx context.Context, team, round string) (domain.FeedbackRate, error) {
	reached, err := s.FanoutDelivered(ctx, team, "feedback", round)
	if err != nil {
		return domain.FeedbackRate{}, err
	}
	answered, err := s.FeedbackAnswered(ctx, team, round)
	if err != nil {
		return domain.FeedbackRate{}, err
	}
	r := domain.FeedbackRate{Sent: len(reached)}
	for _, person := range reached {
		if answered[person] {
			r.Answered++
		}
	}
	return r, nil
}

// FeedbackHasAnswered reports whether person answered round.
func (s *Store) FeedbackHasAnswered(ctx context.Context, team, round, person string) (bool, error) {
	ok, err := s.rdb.SIsMember(ctx, s.feedbackKey(team, "answered", round), person).Result()
	if err != nil {
		return false, fmt.Errorf("feedback answered: %w", err)
	}
	return ok, nil
}
