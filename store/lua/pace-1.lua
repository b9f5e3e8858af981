-- Reserve send times for n SMS of a paced campaign (store/campaigns.ts `reserve`).
-- KEYS[1] the campaign's pace hash; ARGV[1] n, ARGV[2] now (epoch ms).
-- Returns {0} when not paced, {-1} when paused, else {1, first slot, interval ms}:
-- the slots are first, first + interval, ... and the next reservation starts after them.
local pace = redis.call('HMGET', KEYS[1], 'perMinute', 'paused', 'next')
if pace[2] == '1' then return {-1} end
local perMinute = tonumber(pace[1])
if not perMinute or perMinute <= 0 then return {0} end
local n = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local interval = math.floor(60000 / perMinute)
local first = math.max(tonumber(pace[3]) or now, now)
redis.call('HSET', KEYS[1], 'next', first + n * interval)
return {1, first, interval}
