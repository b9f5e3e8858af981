--[[
  Set or clear the deadline of one conversation (store/deadlines.ts): a field of its bucket, and
  the bucket's score in the index of buckets, at most its earliest deadline (includes/deadline.lua).

  KEYS[1]  the conversation's bucket (hash: id → deadline, epoch ms)
  KEYS[2]  the index of buckets (sorted set: bucket number → at most its earliest deadline)
  ARGV[1]  conversation id
  ARGV[2]  the deadline (epoch ms), or '' for none
  ARGV[3]  the bucket's number (its member in KEYS[2])

  Both keys share the `{deadlines}` hash tag (one Cluster slot).
  Returns: 1.
]]
--- @include "deadline"
setDeadline(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3])
return 1
