--[[
  Claims of many (service, externalId) pairs at once (store/external-ids.ts: the invitations of
  one event-loop turn), each as HSETNX claims one, and for a pair claimed already the conversation
  that holds it: one script call instead of a command per invitation. Single Redis only (the
  buckets lie in many slots).

  KEYS[i]               the bucket of claim i = 1 .. n
  ARGV[2i-1], ARGV[2i]  its externalId and the conversation reference that claims it

  Returns: per claim 1 when it claimed the pair, else the reference that holds it.
]]
local results = {}
for i = 1, #KEYS do
  local field = ARGV[2 * i - 1]
  if redis.call('HSETNX', KEYS[i], field, ARGV[2 * i]) == 1 then
    results[i] = 1
  else
    results[i] = redis.call('HGET', KEYS[i], field)
  end
end
return results
