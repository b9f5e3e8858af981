--[[
  Mark outcomes as handed to the `outcomes` queue in the heads of many conversations, in one call
  (store/outcome-marks.ts; includes/outcome-mark.lua): one call for the outcomes added together
  (the `sent` of the invitations accepted in one turn) instead of one per conversation. The keys
  lie in many slots: single Redis only (on Cluster store/lua/mark-outcome-1.lua, one each).

  KEYS[i]  conversation i (one string: store/lua/includes/conversation.lua)
  ARGV[i]  the bits to set in conversation i

  Returns: per conversation 1 a bit was new, 0 all were set already, -1 it does not exist, -2 its
  stored value is of another format (marking it alone reports it).
]]
--- @include "outcome-mark"
local results = {}
for i = 1, #KEYS do
  local result = markOutcomes(KEYS[i], tonumber(ARGV[i]))
  if type(result) == 'table' then
    result = -2
  end
  results[i] = result
end
return results
