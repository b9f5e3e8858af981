--[[
  Commit one dialogue step atomically, if nobody else committed since we read.

  Compare-and-set on the version: a late reply and a deadline that fire together,
  or two replies at once, cannot both win; the loser re-reads and decides again.
  All keys share the conversation's hash tag, so this runs on Redis Cluster.

  KEYS[1]  conversation hash   (gw:{c:<id>})        fields v, state, doc
  KEYS[2]  timeline list       (gw:{c:<id>}:tl)
  KEYS[3]  outbox list         (gw:{c:<id>}:out)

  ARGV[1]  expected version (-1: the conversation must not exist yet)
  ARGV[2]  the new conversation document (JSON)
  ARGV[3]  the new state
  ARGV[4]  TTL in seconds for all three keys (the conversation ended); 0 = no TTL (it is open,
           or was reopened by a reply delivered in time: any earlier TTL is removed)
  ARGV[5]  n, the number of timeline entries that follow
  ARGV[6 .. 5+n]    timeline entries (JSON)
  ARGV[6+n .. #ARGV] outbox entries (JSON)

  Returns: { 1, newVersion } committed; { 0, currentVersion } conflict (-1 when absent).
]]
local current = redis.call('HGET', KEYS[1], 'v')
local currentVersion = -1
if current then currentVersion = tonumber(current) end
if currentVersion ~= tonumber(ARGV[1]) then
  return { 0, currentVersion }
end
local newVersion = currentVersion + 1
redis.call('HSET', KEYS[1], 'v', newVersion, 'state', ARGV[3], 'doc', ARGV[2])
local n = tonumber(ARGV[5])
for i = 6, 5 + n do
  redis.call('RPUSH', KEYS[2], ARGV[i])
end
for i = 6 + n, #ARGV do
  redis.call('RPUSH', KEYS[3], ARGV[i])
end
local ttl = tonumber(ARGV[4])
for i = 1, 3 do
  if ttl > 0 then
    redis.call('EXPIRE', KEYS[i], ttl)
  else
    redis.call('PERSIST', KEYS[i])
  end
end
return { 1, newVersion }
