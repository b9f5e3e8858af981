--[[
  A campaign's conversations by state, and by state per carrier (store/campaigns.ts). The members
  hash holds each conversation of the campaign not yet ended for good as `<state> <carrier>` (the
  carrier empty until an SMSC accepted its invitation, the state empty while only the carrier is
  known), so a move of state or of carrier moves its counts in one step with that record, in
  whichever order the two arrive.

  KEYS[1]  the campaign's counters (fields `state:<state>`, `carrier:<carrier>:state:<state>`)
  KEYS[2]  its members (conversation id → `<state> <carrier>`)
  ARGV[1]  'state' or 'carrier'; ARGV[2] the conversation id
  'state':   ARGV[3] the state it left ('' for a new one), ARGV[4] the state it entered,
             ARGV[5] '1' when it ended for good (its member goes: nothing moves it again)
  'carrier': ARGV[3] the carrier that accepted its invitation (or its second try)

  Returns 1 when a count per carrier moved, else 0.
]]
local id = ARGV[2]
local member = redis.call('HGET', KEYS[2], id)
local state, carrier = '', ''
if member then
  state, carrier = string.match(member, '^(%S*) (%S*)$')
end
local function count(field, by)
  redis.call('HINCRBY', KEYS[1], field, by)
end
local function byCarrier(c, from, to)
  if c == '' then return 0 end
  if from ~= '' then count('carrier:' .. c .. ':state:' .. from, -1) end
  if to ~= '' then count('carrier:' .. c .. ':state:' .. to, 1) end
  return 1
end

if ARGV[1] == 'state' then
  local from, to = ARGV[3], ARGV[4]
  if from ~= '' then count('state:' .. from, -1) end
  count('state:' .. to, 1)
  local moved = byCarrier(carrier, state, to)
  if ARGV[5] == '1' then
    redis.call('HDEL', KEYS[2], id)
  else
    redis.call('HSET', KEYS[2], id, to .. ' ' .. carrier)
  end
  return moved
end

-- 'carrier'. Before the conversation's first state is recorded (the two are written at once),
-- the carrier is kept with no state: the state's arrival counts it.
local to = ARGV[3]
if carrier == to then return 0 end
byCarrier(carrier, state, '')
byCarrier(to, '', state)
redis.call('HSET', KEYS[2], id, state .. ' ' .. to)
return state ~= '' and 1 or 0
