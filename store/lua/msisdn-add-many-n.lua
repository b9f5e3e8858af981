--[[
  The numbers of many conversations at once (store/msisdn-index.ts: those handed over in one
  event-loop turn), each as msisdn-add-n.lua adds one: one script call instead of one per
  conversation. Single Redis only (the keys lie in many slots).

  KEYS[2i-1], KEYS[2i]  the bucket and the number's sorted set of conversation i = 1 .. n
  ARGV[1]               the longest value a field may hold (bytes)
  ARGV[3i-1 .. 3i+1]    the MSISDN, the conversation id and its score of conversation i

  Returns: per conversation false (nil in the reply) when its id is in the field or the sorted
  set, otherwise what the field holds ('' for none), as msisdn-add-n.lua.
]]
--- @include "msisdn-add"
local limit = tonumber(ARGV[1])
local results = {}
for i = 1, #KEYS / 2 do
  results[i] = addToNumber(KEYS[2 * i - 1], KEYS[2 * i], ARGV[3 * i - 1], ARGV[3 * i], limit, ARGV[3 * i + 1])
    or false
end
return results
