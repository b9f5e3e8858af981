--[[
  Takes a reply of one number, or tells it is an SMSC's retransmission of one already taken
  (docs/dialogues.md, "Retransmissions and a second identical answer").

  An SMS is identified by its content (sender, bytes, the handset's references: `id`); the same
  `id` received less than `window` ms from the one taken is the same SMS again, one received at
  least `window` ms apart is a new SMS. The hash also keeps when the number's last reply was
  taken (field `last`): a question without a service code is not sent before `window` has
  passed since (gateway/core/conversations.ts), so no retransmission can land on it.

  While the number's codeless turn is being decided (the turn lock is held), nothing is taken:
  the caller tries again a moment later, so a turn decided sees every reply taken before it.

  KEYS[1]  seen hash (gw:{m:<msisdn>}:seen): field <id> = "<receivedAt>:<delivery>", field last
  KEYS[2]  the number's turn lock (gw:{m:<msisdn>}:turn)
  ARGV[1]  id (the reply's smscMessageId)
  ARGV[2]  receivedAt (epoch ms, the gateway's clock when the deliver_sm was stored)
  ARGV[3]  delivery (the inbound job's id: its own retry is taken again)
  ARGV[4]  window (ms)
  ARGV[5]  TTL of the hash (ms)

  Returns 1 taken (new, or the retry of the job that took it), 0 a retransmission, -1 busy.
]]
local at = tonumber(ARGV[2])
local window = tonumber(ARGV[4])

local function firstAt(value)
  local sep = string.find(value, ':', 1, true)
  return tonumber(string.sub(value, 1, sep - 1)), string.sub(value, sep + 1)
end

local seen = redis.call('HGET', KEYS[1], ARGV[1])
if seen then
  local takenAt, delivery = firstAt(seen)
  if delivery == ARGV[3] then return 1 end
  if math.abs(at - takenAt) < window then return 0 end
end
if redis.call('EXISTS', KEYS[2]) == 1 then return -1 end

redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ':' .. ARGV[3])
local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '0')
if at > last then redis.call('HSET', KEYS[1], 'last', ARGV[2]) end
-- A busy number keeps only what can still be retransmitted.
if redis.call('HLEN', KEYS[1]) > 16 then
  local all = redis.call('HGETALL', KEYS[1])
  for i = 1, #all, 2 do
    if all[i] ~= 'last' and firstAt(all[i + 1]) < at - window then redis.call('HDEL', KEYS[1], all[i]) end
  end
end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[5]))
return 1
