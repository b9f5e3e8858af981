--[[
  Add a conversation id to its number's field in an MSISDN bucket (store/msisdn-index.ts):
  includes/msisdn-add.lua for one conversation.

  KEYS[1]  the bucket (keys.msisdnBucket)
  KEYS[2]  the number's sorted set (keys.byMsisdn), on a single Redis only (its slot is another
           than the bucket's): when it exists the id goes there, as the number's next ones do
  ARGV[1]  the MSISDN (the field)
  ARGV[2]  the conversation id
  ARGV[3]  the longest value the field may hold (bytes): Redis's `hash-max-listpack-value`
  ARGV[4]  the id's score in the sorted set (when the conversation was created, epoch ms)

  Returns: nil when the id is in the field (added now, or already) or in the sorted set;
  otherwise what the field holds ('' for none), and nothing is written: the caller moves the
  number to its sorted set.
]]
--- @include "msisdn-add"
return addToNumber(KEYS[1], KEYS[2], ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4])
