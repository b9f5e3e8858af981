--[[
  Mark outcomes as handed to the `outcomes` queue in a conversation's head (store/outcome-marks.ts;
  includes/outcome-mark.lua). Once marked, an outcome is never added again for as long as the
  conversation exists, whatever replays the outbox, the sender or the receipts make
  (gateway/core/outcomes.ts).

  KEYS[1]  conversation (one string: store/lua/includes/conversation.lua)
  ARGV[1]  the bits to set

  Returns: 1 a bit was new; 0 all were set already; -1 the conversation does not exist.
]]
--- @include "outcome-mark"
return markOutcomes(KEYS[1], tonumber(ARGV[1]))
