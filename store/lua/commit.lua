--[[
  Commit one dialogue step atomically, if nobody else committed since we read.

  Compare-and-set on the version: a late reply and a deadline that fire together,
  or two replies at once, cannot both win; the loser re-reads and decides again.
  All keys share the conversation's hash tag, so this runs on Redis Cluster.

  KEYS[1]  conversation        (gw:{c:<id>})      string: 4-byte big-endian version, then the doc
                                                  (a hash v/state/doc before: still read, and
                                                  replaced by the string on its next commit)
  KEYS[2]  timeline            (gw:{c:<id>}:tl)   string of length-prefixed entries (a list
                                                  before: an existing list keeps being pushed to)
  KEYS[3]  outbox list         (gw:{c:<id>}:out)

  ARGV[1]  expected version (-1: the conversation must not exist yet)
  ARGV[2]  the new conversation document (packed JSON)
  ARGV[3]  the new state (only written to a conversation still stored as a hash)
  ARGV[4]  TTL in seconds for all three keys (the conversation ended); 0 = no TTL (it is open,
           or was reopened by a reply delivered in time: any earlier TTL is removed)
  ARGV[5]  n, the number of timeline entries that follow
  ARGV[6 .. 5+n]    timeline entries, each prefixed by its length (2 bytes, big-endian)
  ARGV[6+n .. #ARGV] outbox entries (JSON)

  Returns: { 1, newVersion } committed; { 0, currentVersion } conflict (-1 when absent).
]]
local kind = redis.call('TYPE', KEYS[1]).ok
local currentVersion = -1
if kind == 'string' then
  currentVersion = struct.unpack('>I4', redis.call('GET', KEYS[1]))
elseif kind == 'hash' then
  currentVersion = tonumber(redis.call('HGET', KEYS[1], 'v'))
end
if currentVersion ~= tonumber(ARGV[1]) then
  return { 0, currentVersion }
end
local newVersion = currentVersion + 1
if kind == 'hash' then
  redis.call('DEL', KEYS[1])
end
redis.call('SET', KEYS[1], struct.pack('>I4', newVersion) .. ARGV[2])
local n = tonumber(ARGV[5])
if n > 0 then
  if redis.call('TYPE', KEYS[2]).ok == 'list' then
    for i = 6, 5 + n do
      redis.call('RPUSH', KEYS[2], string.sub(ARGV[i], 3))
    end
  else
    local entries = table.concat(ARGV, '', 6, 5 + n)
    redis.call('SET', KEYS[2], (redis.call('GET', KEYS[2]) or '') .. entries)
  end
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
