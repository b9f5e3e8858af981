--[[
  Commit one dialogue step atomically, if nobody else committed since we read.

  Compare-and-set on the version: a late reply and a deadline that fire together,
  or two replies at once, cannot both win; the loser re-reads and decides again.
  All keys share the conversation's hash tag, so this runs on Redis Cluster.

  KEYS[1]  conversation  (gw:{c:<id>})     one string: the format tag 0x01, version (4 bytes,
                                           big-endian), length of the doc (4 bytes), the
                                           outcomes handed over (2 bytes, kept as they are:
                                           store/lua/mark-outcome-1.lua sets them), the doc,
                                           then the timeline entries, each after its length
                                           (2 bytes) (docs/storage.md)
  KEYS[2]  outbox list   (gw:{c:<id>}:out)

  ARGV[1]  expected version (-1: the conversation must not exist yet)
  ARGV[2]  the new conversation document (packed JSON)
  ARGV[3]  TTL in seconds for the keys (the conversation ended); 0 = no TTL (it is open,
           or was reopened by a reply delivered in time: any earlier TTL is removed)
  ARGV[4]  n, the number of timeline entries that follow
  ARGV[5 .. 4+n]    timeline entries, each after its length (2 bytes, big-endian)
  ARGV[5+n .. #ARGV] outbox entries (JSON)

  Returns: { 1, newVersion } committed; { 0, currentVersion } conflict (-1 when absent).
]]
--- @include "conversation"
local currentVersion = -1
local timeline = ''
local outcomes = 0
local value = redis.call('GET', KEYS[1])
if value then
  local version, timelineAt, marked = conversationHead(value)
  if type(version) == 'table' then
    return version
  end
  currentVersion = version
  outcomes = marked
  timeline = string.sub(value, timelineAt)
end
if currentVersion ~= tonumber(ARGV[1]) then
  return { 0, currentVersion }
end
local newVersion = currentVersion + 1
local n = tonumber(ARGV[4])
local added = table.concat(ARGV, '', 5, 4 + n)
redis.call('SET', KEYS[1], string.char(CONVERSATION_TAG) .. struct.pack('>I4>I4>I2', newVersion, #ARGV[2], outcomes) .. ARGV[2] .. timeline .. added)
for i = 5 + n, #ARGV do
  redis.call('RPUSH', KEYS[2], ARGV[i])
end
local ttl = tonumber(ARGV[3])
for _, key in ipairs({ KEYS[1], KEYS[2] }) do
  if ttl > 0 then
    redis.call('EXPIRE', key, ttl)
  else
    redis.call('PERSIST', key)
  end
end
return { 1, newVersion }
