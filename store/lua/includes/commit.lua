--[[
  One dialogue step's compare-and-set (store/lua/commit-2.lua, store/lua/commit-many-n.lua): the
  conversation string is replaced by the new document with the old timeline and the new entries
  after it, if its version is still the one the step was decided from. The head's outcome bits are
  kept.
]]
--- @include "conversation"

-- key: the conversation; outboxKey: its outbox list; expected: the version read (-1: it must not
-- exist yet); doc: the new document; added: the new timeline entries, each after its length;
-- ttl: seconds to keep both keys (the conversation ended), 0 to keep them; args[from .. to]: the
-- outbox entries. Returns { 1, newVersion, the outcomes' bits handed over so far } or, on a
-- conflict, { 0, currentVersion } (-1: absent); an error reply for a value of another format.
local function commitStep(key, outboxKey, expected, doc, added, ttl, args, from, to)
  local currentVersion = -1
  local timeline = ''
  local outcomes = 0
  local value = redis.call('GET', key)
  if value then
    local version, timelineAt, marked = conversationHead(value)
    if type(version) == 'table' then
      return version
    end
    currentVersion = version
    outcomes = marked
    timeline = string.sub(value, timelineAt)
  end
  if currentVersion ~= expected then
    return { 0, currentVersion }
  end
  local newVersion = currentVersion + 1
  -- The outcomes handed over are kept as they are (store/lua/mark-outcome-1.lua sets them).
  redis.call('SET', key, string.char(CONVERSATION_TAG) .. struct.pack('>I4>I4>I2', newVersion, #doc, outcomes) .. doc .. timeline .. added)
  for i = from, to do
    redis.call('RPUSH', outboxKey, args[i])
  end
  for _, k in ipairs({ key, outboxKey }) do
    if ttl > 0 then
      redis.call('EXPIRE', k, ttl)
    else
      redis.call('PERSIST', k)
    end
  end
  return { 1, newVersion, outcomes }
end
