package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/empowerbot/empowerbot/domain"
)

// Closing the loop on feedback, and the anonymity floor.
//
// Every answer has an opaque ID (domain.NewAnswerID); buttons and forms
// about it carry that ID, never the person. Its keys:
//
//	<prefix>:{T}:feedback:answer:<A>         hash: data (the FeedbackAnswer as JSON, no user for an
//	                                         anonymous one), post ("<channel>|<ts>" in the leaders
//	                                         channel), batch (how many anonymous answers were posted
//	                                         with it), replied (leaders who replied, space-separated),
//	                                         commitment, committed_by
//	<prefix>:{T}:feedback:author:<A>         the person who wrote answer A: read only to relay a
//	                                         reply or tell them what was done; never logged nor shown
//	<prefix>:{T}:feedback:held:<team>        list of anonymous answer IDs of a policy team ("-" for
//	                                         no team) waiting for the anonymity floor
//	<prefix>:{T}:feedback:op:<A>             what saving answer A answered (its release), so that the
//	                                         same call sent again answers the same and changes nothing
//	<prefix>:{T}:feedback:reply-op:<op>      one reply (a modal submission) relayed once
//
// Saving an answer, holding it and releasing a batch are one script
// (saveAnswerScript): two replicas that each saw two of three anonymous
// answers never post one alone, and a restart loses nothing held.
//
// Audit events (subject = the answer ID, never the person):
//
//	feedback.replied   a leader (actor) replied; data: anonymous
//	feedback.released  a team's held anonymous answers went to its leaders; data: team_name, count

func (s *Store) answerKey(team, id string) string { return s.feedbackKey(team, "answer", id) }
func (s *Store) authorKey(team, id string) string { return s.feedbackKey(team, "author", id) }

// heldKey is the list of a policy team's held anonymous answers.
func (s *Store) heldKey(team, teamName string) string {
	if teamName == "" {
		teamName = "-"
	}
	return s.feedbackKey(team, "held", teamName)
}

// saveAnswerScript stores one answer and, for an anonymous answer under a
// floor above one, holds it: once the team's held answers reach the floor
// they are all released together (the list emptied). KEYS: answered set,
// round's answers, answer hash, author, held list, op record, audit. ARGV:
// user, answer ID, answer JSON, ttl ms, anonymous ("1"/"0"), floor, then
// the feedback.answered audit event (at, fields…), then, from the index
// ARGV[7] names, the feedback.released event (at, fields…) to append when a
// batch is released. Returns the IDs to post now, space-separated ("" when
// the answer is held); sent again with the same answer ID it returns what it
// returned the first time and writes nothing.
var saveAnswerScript = redis.NewScript("#!lua\n" + AuditLua + `
local prev = redis.call('GET', KEYS[6])
if prev then return prev end
local aid = audit_id(KEYS[7], ARGV[8])
local ttl = ARGV[4]
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('RPUSH', KEYS[2], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('HSET', KEYS[3], 'data', ARGV[3])
redis.call('PEXPIRE', KEYS[3], ttl)
redis.call('SET', KEYS[4], ARGV[1], 'PX', ttl)
local rel = tonumber(ARGV[7])
local out = ARGV[2]
local released = 0
if ARGV[5] == '1' and tonumber(ARGV[6]) > 1 then
  redis.call('RPUSH', KEYS[5], ARGV[2])
  redis.call('PEXPIRE', KEYS[5], ttl)
  local held = redis.call('LRANGE', KEYS[5], 0, -1)
  if #held >= tonumber(ARGV[6]) then
    out = table.concat(held, ' ')
    released = #held
    redis.call('DEL', KEYS[5])
  else
    out = ''
  end
end
local ev = {}
for i = 8, rel - 1 do ev[#ev + 1] = ARGV[i] end
audit_add(KEYS[7], aid, ev, 2)
if released > 0 then
  local rev = {}
  for i = rel, #ARGV do rev[#rev + 1] = ARGV[i] end
  rev[#rev] = string.gsub(rev[#rev], '"count":0', '"count":' .. released)
  audit_add(KEYS[7], audit_id(KEYS[7], rev[1]), rev, 2)
end
redis.call('SET', KEYS[6], out, 'PX', ttl)
return out
`)

// KeepFeedbackAnswer stores a (a.ID set) with ev, its feedback.answered
// event, and marks user as having answered a.Round, in one atomic step; an
// anonymous answer is held while fewer than floor anonymous answers of its
// policy team (a.TeamName) wait, and the answer that reaches the floor
// releases them all. It returns the IDs of the answers to post now: a
// alone for a named answer (or floor ≤ 1), none while held, the whole batch
// on release (appending a feedback.released event). Called again with the
// same answer it returns the same and changes nothing. user is kept only in
// the set of people who answered and in the answer's author key (read only
// to relay a reply); an anonymous answer whose record or event names a
// person is refused, nothing written.
func (s *Store) KeepFeedbackAnswer(ctx context.Context, team, user string, a domain.FeedbackAnswer, ev domain.Event, floor int) ([]string, error) {
	if a.Round == "" || user == "" || a.ID == "" {
		return nil, fmt.Errorf("save feedback answer: a round, an ID and a user are needed")
	}
	if a.Anonymous && (a.User != "" || ev.Actor != "") {
		return nil, fmt.Errorf("save feedback answer: an anonymous answer must not name its author")
	}
	body, err := json.Marshal(a)
	if err != nil {
		return nil, fmt.Errorf("encode answer: %w", err)
	}
	answered, err := auditArgs(ev)
	if err != nil {
		return nil, err
	}
	// The count is filled in by the script, which alone knows the batch.
	released, err := auditArgs(domain.Event{Subject: a.ID, At: a.At, Payload: domain.FeedbackReleasedData{TeamName: a.TeamName}})
	if err != nil {
		return nil, err
	}
	anon := "0"
	if a.Anonymous {
		anon = "1"
	}
	keys := []string{
		s.feedbackKey(team, "answered", a.Round), s.feedbackKey(team, "answers", a.Round),
		s.answerKey(team, a.ID), s.authorKey(team, a.ID), s.heldKey(team, a.TeamName),
		s.feedbackKey(team, "op", a.ID), s.AuditKey(team),
	}
	args := []any{user, a.ID, string(body), FeedbackTTL.Milliseconds(), anon, floor, 8 + len(answered)}
	args = append(append(args, answered...), released...)
	out, err := saveAnswerScript.Run(ctx, s.rdb, keys, args...).Text()
	if err != nil {
		return nil, fmt.Errorf("save feedback answer: %w", err)
	}
	return strings.Fields(out), nil
}

// HeldFeedbackAnswers counts the anonymous answers of policy team teamName
// waiting for the anonymity floor.
func (s *Store) HeldFeedbackAnswers(ctx context.Context, team, teamName string) (int, error) {
	n, err := s.rdb.LLen(ctx, s.heldKey(team, teamName)).Result()
	if err != nil {
		return 0, fmt.Errorf("held feedback answers: %w", err)
	}
	return int(n), nil
}

// FeedbackAnswer returns answer id and what leaders did with it;
// domain.ErrAnswerNotFound when it is unknown or expired.
func (s *Store) FeedbackAnswer(ctx context.Context, team, id string) (domain.FeedbackAnswer, domain.AnswerStatus, error) {
	m, err := s.rdb.HGetAll(ctx, s.answerKey(team, id)).Result()
	if err != nil {
		return domain.FeedbackAnswer{}, domain.AnswerStatus{}, fmt.Errorf("feedback answer: %w", err)
	}
	if m["data"] == "" {
		return domain.FeedbackAnswer{}, domain.AnswerStatus{}, fmt.Errorf("feedback answer %s: %w", id, domain.ErrAnswerNotFound)
	}
	var a domain.FeedbackAnswer
	if err := json.Unmarshal([]byte(m["data"]), &a); err != nil {
		return domain.FeedbackAnswer{}, domain.AnswerStatus{}, fmt.Errorf("decode answer: %w", err)
	}
	st := domain.AnswerStatus{RepliedBy: strings.Fields(m["replied"]), Commitment: m["commitment"], CommittedBy: m["committed_by"]}
	if ch, ts, ok := strings.Cut(m["post"], "|"); ok {
		st.Post = domain.MessageRef{Channel: ch, TS: ts}
	}
	st.Batch, _ = strconv.Atoi(m["batch"])
	return a, st, nil
}

// FeedbackAuthor returns who wrote answer id ("" when unknown). Only the
// relay of a reply and the news of what was done read it.
func (s *Store) FeedbackAuthor(ctx context.Context, team, id string) (string, error) {
	u, err := s.rdb.Get(ctx, s.authorKey(team, id)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("feedback author: %w", err)
	}
	return u, nil
}

// FeedbackAnswerPosted records where answer id was posted, and with how many
// anonymous answers (0 for a named one).
func (s *Store) FeedbackAnswerPosted(ctx context.Context, team, id string, post domain.MessageRef, batch int) error {
	if err := s.rdb.HSet(ctx, s.answerKey(team, id), "post", post.Channel+"|"+post.TS, "batch", batch).Err(); err != nil {
		return fmt.Errorf("record feedback post: %w", err)
	}
	return nil
}

// claimReplyScript reserves one reply: KEYS[1] the reply op, ARGV[1] ttl ms.
// Returns 1 when this call reserved it.
var claimReplyScript = redis.NewScript(`
if redis.call('SET', KEYS[1], 'sending', 'NX', 'PX', ARGV[1]) then return 1 end
return 0
`)

// replySentScript records a relayed reply: KEYS: reply op, answer hash,
// audit; ARGV: leader, ttl ms, then the feedback.replied event (at, fields…).
// Sent again (the op already 'sent') it changes nothing.
var replySentScript = redis.NewScript("#!lua\n" + AuditLua + `
if redis.call('GET', KEYS[1]) == 'sent' then return 0 end
local aid = audit_id(KEYS[3], ARGV[3])
redis.call('SET', KEYS[1], 'sent', 'PX', ARGV[2])
local cur = redis.call('HGET', KEYS[2], 'replied') or ''
local seen = false
for w in string.gmatch(cur, '%S+') do if w == ARGV[1] then seen = true end end
if not seen then redis.call('HSET', KEYS[2], 'replied', (cur == '' and ARGV[1]) or (cur .. ' ' .. ARGV[1])) end
audit_add(KEYS[3], aid, ARGV, 4)
return 1
`)

// ClaimFeedbackReply reserves the reply op (one submission of the reply
// form) for sending: false when it was sent or is being sent already.
func (s *Store) ClaimFeedbackReply(ctx context.Context, team, op string) (bool, error) {
	n, err := claimReplyScript.Run(ctx, s.rdb, []string{s.feedbackKey(team, "reply-op", op)}, FeedbackTTL.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("claim feedback reply: %w", err)
	}
	return n == 1, nil
}

// ReleaseFeedbackReply gives a reserved reply op back after the reply could
// not be sent.
func (s *Store) ReleaseFeedbackReply(ctx context.Context, team, op string) error {
	if err := s.rdb.Del(ctx, s.feedbackKey(team, "reply-op", op)).Err(); err != nil {
		return fmt.Errorf("release feedback reply: %w", err)
	}
	return nil
}

// FeedbackReplySent records that ev.Actor's reply (op) to answer ev.Subject
// reached its author, with ev (feedback.replied), in one step.
func (s *Store) FeedbackReplySent(ctx context.Context, team, op string, ev domain.Event) error {
	args, err := auditArgs(ev)
	if err != nil {
		return err
	}
	keys := []string{s.feedbackKey(team, "reply-op", op), s.answerKey(team, ev.Subject), s.AuditKey(team)}
	if err := replySentScript.Run(ctx, s.rdb, keys, append([]any{ev.Actor, FeedbackTTL.Milliseconds()}, args...)...).Err(); err != nil {
		return fmt.Errorf("record feedback reply: %w", err)
	}
	return nil
}

// claimCommitScript reserves answer KEYS[1] for one commitment: ARGV[1] the
// commitment ID, ARGV[2] its leader. Returns {1} when reserved (or already
// reserved for the same ID), else {0, id, leader} of the one made first.
var claimCommitScript = redis.NewScript(`
local cur = redis.call('HMGET', KEYS[1], 'commitment', 'committed_by', 'data')
if not cur[3] then return {-1} end
if not cur[1] or cur[1] == ARGV[1] then
  redis.call('HSET', KEYS[1], 'commitment', ARGV[1], 'committed_by', ARGV[2])
  return {1}
end
return {0, cur[1], cur[2]}
`)

// ClaimFeedbackCommitment reserves answer id for commitment cid by leader:
// ok, or the commitment made to it first and by whom. An unknown answer is
// domain.ErrAnswerNotFound.
func (s *Store) ClaimFeedbackCommitment(ctx context.Context, team, id, cid, leader string) (ok bool, first, firstBy string, err error) {
	res, err := claimCommitScript.Run(ctx, s.rdb, []string{s.answerKey(team, id)}, cid, leader).Slice()
	if err != nil {
		return false, "", "", fmt.Errorf("claim feedback commitment: %w", err)
	}
	if n, _ := res[0].(int64); n == -1 {
		return false, "", "", fmt.Errorf("feedback answer %s: %w", id, domain.ErrAnswerNotFound)
	} else if n == 1 {
		return true, "", "", nil
	}
	first, _ = res[1].(string)
	firstBy, _ = res[2].(string)
	return false, first, firstBy, nil
}

// ReleaseFeedbackCommitment gives back answer id's reservation for cid when
// the commitment could not be made.
func (s *Store) ReleaseFeedbackCommitment(ctx context.Context, team, id, cid string) error {
	err := s.rdb.Eval(ctx, `
if redis.call('HGET', KEYS[1], 'commitment') == ARGV[1] then redis.call('HDEL', KEYS[1], 'commitment', 'committed_by') end
return 0`, []string{s.answerKey(team, id)}, cid).Err()
	if err != nil {
		return fmt.Errorf("release feedback commitment: %w", err)
	}
	return nil
}
