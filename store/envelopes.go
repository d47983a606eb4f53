package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// An envelope mark (key dedupe:<kind>:<id>) is "p:<lease end ms>:<token>"
// while a replica handles the envelope, "d:<reply>" once it is handled,
// "f:<token>:<reply>" once handled in the same step as its claim (an
// autonomous decision's script: the token tells that step's own retry from
// another handling), and "1" when an older version marked it (handled,
// reply unknown).

// claimEnvelopeLua defines claim_envelope(key, token, lease ms, ttl ms): it
// claims the envelope whose mark is key for token unless a live claim of
// another token holds it or it is done, and returns nil when claimed,
// {"busy", ""} or {"done", reply} otherwise. Running it twice with the same
// token claims once (the second run renews the lease). Scripts that claim
// an envelope in the same step as their change call it first
// (createDecisionClaimScript).
const claimEnvelopeLua = `
local function claim_envelope(key, tok, lease, ttl)
  local v = redis.call('GET', key)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  if v then
    local kind = string.sub(v, 1, 2)
    if kind == 'd:' then return {'done', string.sub(v, 3)} end
    if kind == 'f:' then
      -- Handled in its claim's own step: by another handling, done; by
      -- this one (a client retry of the step), claimed again, so that the
      -- step runs again and writes (a WAIT after it covers the first run).
      local sep = string.find(v, ':', 3, true)
      if not sep then return {'done', ''} end
      if string.sub(v, 3, sep - 1) ~= tok then return {'done', string.sub(v, sep + 1)} end
    elseif kind ~= 'p:' then
      return {'done', ''}
    else
      local sep = string.find(v, ':', 3, true)
      local exp = sep and tonumber(string.sub(v, 3, sep - 1)) or 0
      local cur = sep and string.sub(v, sep + 1) or ''
      if cur ~= tok and exp and exp > now then return {'busy', ''} end
    end
  end
  redis.call('SET', key, 'p:' .. (now + tonumber(lease)) .. ':' .. tok, 'PX', ttl)
  return nil
end
`

// claimEnvelopeScript claims an envelope (claim_envelope).
//
// KEYS: the mark. ARGV: token, lease ms, mark ttl ms.
// Returns {"claimed", ""}, {"busy", ""} or {"done", reply}.
var claimEnvelopeScript = redis.NewScript("#!lua\n" + claimEnvelopeLua + `
local r = claim_envelope(KEYS[1], ARGV[1], ARGV[2], ARGV[3])
if r then return r end
return {'claimed', ''}
`)

// renewEnvelopeScript extends token's lease on an envelope it still holds
// (idempotent). KEYS: the mark. ARGV: token, lease ms. Returns 1 when renewed.
var renewEnvelopeScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v or string.sub(v, 1, 2) ~= 'p:' then return 0 end
local sep = string.find(v, ':', 3, true)
if not sep or string.sub(v, sep + 1) ~= ARGV[1] then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('SET', KEYS[1], 'p:' .. (now + tonumber(ARGV[2])) .. ':' .. ARGV[1], 'KEEPTTL')
return 1
`)

// releaseEnvelopeScript drops token's claim so that a redelivery handles the
// envelope again (idempotent). KEYS: the mark. ARGV: token.
var releaseEnvelopeScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v or string.sub(v, 1, 2) ~= 'p:' then return 0 end
local sep = string.find(v, ':', 3, true)
if not sep or string.sub(v, sep + 1) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
`)

// ClaimEnvelope claims envelope id of kind in team for token, for lease
// (renew it with RenewEnvelope while handling). first is true when the
// caller should handle it: nobody did, or the replica that started died
// (its lease ran out). finished is true when it was handled; reply is the
// reply recorded by FinishEnvelope (nil when none). Neither: another replica
// is handling it right now.
func (s *Store) ClaimEnvelope(ctx context.Context, team, kind, id, token string, lease, ttl time.Duration) (first, finished bool, reply []byte, err error) {
	if lease <= 0 || ttl <= 0 {
		return false, false, nil, fmt.Errorf("claim %s %s: lease and ttl must be positive, got %s, %s", kind, id, lease, ttl)
	}
	res, err := claimEnvelopeScript.Run(ctx, s.rdb, []string{s.keys.Team(team, "dedupe", kind, id)},
		token, lease.Milliseconds(), ttl.Milliseconds()).StringSlice()
	if err != nil {
		return false, false, nil, fmt.Errorf("claim %s %s: %w", kind, id, err)
	}
	if len(res) != 2 {
		return false, false, nil, fmt.Errorf("claim %s %s: unexpected answer %q", kind, id, res)
	}
	switch res[0] {
	case "claimed":
		return true, false, nil, nil
	case "done":
		if res[1] != "" {
			reply = []byte(res[1])
		}
		return false, true, reply, nil
	default:
		return false, false, nil, nil
	}
}

// RenewEnvelope extends token's lease on envelope id; an error when token no
// longer holds it.
func (s *Store) RenewEnvelope(ctx context.Context, team, kind, id, token string, lease time.Duration) error {
	n, err := renewEnvelopeScript.Run(ctx, s.rdb, []string{s.keys.Team(team, "dedupe", kind, id)}, token, lease.Milliseconds()).Int()
	if err != nil {
		return fmt.Errorf("renew %s %s: %w", kind, id, err)
	}
	if n == 0 {
		return errors.New("renew " + kind + " " + id + ": the claim is gone")
	}
	return nil
}

// FinishEnvelope marks envelope id handled, with the reply a redelivery is
// answered with, for ttl.
func (s *Store) FinishEnvelope(ctx context.Context, team, kind, id string, reply []byte, ttl time.Duration) error {
	if err := s.rdb.Set(ctx, s.keys.Team(team, "dedupe", kind, id), append([]byte("d:"), reply...), ttl).Err(); err != nil {
		return fmt.Errorf("finish %s %s: %w", kind, id, err)
	}
	return nil
}

// ReleaseEnvelope drops token's claim on envelope id (its handling failed
// and changed nothing), so that a redelivery handles it again.
func (s *Store) ReleaseEnvelope(ctx context.Context, team, kind, id, token string) error {
	if err := releaseEnvelopeScript.Run(ctx, s.rdb, []string{s.keys.Team(team, "dedupe", kind, id)}, token).Err(); err != nil {
		return fmt.Errorf("release %s %s: %w", kind, id, err)
	}
	return nil
}
