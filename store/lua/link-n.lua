--[[
  Record the receipt links of the parts of sent SMS (store/receipts.ts `write`).

  KEYS[1 .. n]  receipt buckets (one per part; on Cluster one call per part, as buckets
                lie in different slots)
  ARGV[1]       TTL of the buckets, seconds
  ARGV[2i], ARGV[2i+1]  field (message id) and link of the part in KEYS[i]

  Returns: n.
]]
-- A bucket's TTL ends where its day's window does (store/receipts.ts `plan`), the same for every
-- link it takes: set once, by the first link (NX), and once per bucket in a call.
local expiring = {}
for i = 1, #KEYS do
  redis.call('HSET', KEYS[i], ARGV[2 * i], ARGV[2 * i + 1])
  if not expiring[KEYS[i]] then
    expiring[KEYS[i]] = true
    redis.call('EXPIRE', KEYS[i], ARGV[1], 'NX')
  end
end
return #KEYS
