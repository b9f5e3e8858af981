--[[
  Claim due deadlines for one sweep (store/deadlines.ts `claim`): the ids whose deadline is at or
  before ARGV[2], at most ARGV[3], taken from at most ARGV[5] buckets, those with the earliest
  deadlines first (each bucket is read whole: the bound keeps one call short when buckets are
  large; the caller calls again for more). Each
  claimed id's deadline in the index moves to ARGV[4] (a lease): another sweeping process does
  not take it again, and if this one stops before firing it, it falls due again then. Firing it
  sets the index to what the conversation says (its next deadline, or none). A bucket's score in
  the index may be earlier than its earliest deadline (includes/deadline.lua): each bucket read
  gets its exact earliest here, so a bucket listed with nothing due is read once, then not again
  until its earliest falls due.

  KEYS[1]  the index of buckets (sorted set: bucket number → at most its earliest deadline)
  ARGV[1]  the buckets' key prefix (a bucket is ARGV[1] .. number; same `{deadlines}` hash tag)
  ARGV[2]  now (epoch ms): a deadline at or before it is due
  ARGV[3]  at most this many ids
  ARGV[4]  the lease (epoch ms): the claimed ids' deadline in the index until they are fired
  ARGV[5]  at most this many buckets read

  Returns: the claimed ids, earliest deadline first, and then, if a bucket read was left with due
  ids beyond the limit or a due bucket was not read, the string '+' (call again for more).
]]
local now = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local lease = tonumber(ARGV[4])
if not (lease > now) then
  return redis.error_reply('ERR the lease must end after now')
end
local due = {}
local taken = 0
local buckets = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[5]) + 1)
local more = #buckets > tonumber(ARGV[5])
for b = 1, math.min(#buckets, tonumber(ARGV[5])) do
  local bucket = buckets[b]
  local key = ARGV[1] .. bucket
  local fields = redis.call('HGETALL', key)
  local claimed = {}
  local earliest = nil
  for i = 1, #fields, 2 do
    local at = tonumber(fields[i + 1])
    if at <= now then
      if taken < limit then
        taken = taken + 1
        due[taken] = { fields[i], at }
        claimed[#claimed + 1] = fields[i]
        claimed[#claimed + 1] = ARGV[4]
        at = lease
      else
        more = true
      end
    end
    if earliest == nil or at < earliest then
      earliest = at
    end
  end
  -- In slices: unpack() is bounded by Lua's stack.
  for from = 1, #claimed, 200 do
    redis.call('HSET', key, unpack(claimed, from, math.min(from + 199, #claimed)))
  end
  if earliest then
    redis.call('ZADD', KEYS[1], earliest, bucket)
  else
    redis.call('ZREM', KEYS[1], bucket)
  end
end
table.sort(due, function(a, b)
  return a[2] < b[2]
end)
local ids = {}
for i, entry in ipairs(due) do
  ids[i] = entry[1]
end
if more then
  ids[#ids + 1] = '+'
end
return ids
