--[[
  The batches whose outbox entries were written at least ARGV[1] ms ago by Redis's clock (the
  clock commit-many-n.lua scored them by) and are still not all handed over: a process stopped
  between the commit and the hand-over. The recovery sweep hands them over (store/outbox.ts).

  KEYS[1]  the batches with entries left (sorted set: batch → ms written)
  ARGV[1]  the age in ms
  ARGV[2]  at most this many

  Returns: the batches, oldest first.
]]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]), 'LIMIT', 0, tonumber(ARGV[2]))
