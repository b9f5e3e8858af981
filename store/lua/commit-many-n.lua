--[[
  Commit the steps of many conversations in one call (a sweep's due deadlines), each by its own
  compare-and-set as store/lua/commit-2.lua does (includes/commit.lua): a step whose
  conversation changed since it was read is not written, the others are. With each step written,
  what would otherwise follow it as separate commands: the conversation in the outbox recovery
  index, its deadline in the deadline index (includes/deadline.lua), its state in the counts.
  The keys lie in many slots: single Redis only (on Cluster each step is committed alone).

  KEYS[1]        the outbox recovery index (set)
  KEYS[2]        the deadline index of buckets (sorted set)
  KEYS[3]        the counts of conversations by service and state (hash)
  KEYS[3i+1 ..]  for step i (from 1): the conversation, its outbox, its deadline bucket
  ARGV[1]        the number of steps
  then per step: the expected version, the new document, the TTL (as commit-2.lua), n, m,
                 the deadline ('-' unchanged, '' none, else epoch ms), the bucket's number,
                 the count to decrement ('' none), the count to increment ('' none), the
                 conversation id, n timeline entries, m outbox entries

  Returns: per step { 1, newVersion, the outcomes' bits handed over so far (the head's) } committed,
  or { 0, currentVersion } not written (-2: the stored value is of another format; committing the
  step alone reports it).
]]
--- @include "commit"
--- @include "deadline"
local results = {}
local at = 2
for i = 1, tonumber(ARGV[1]) do
  local key, outbox, bucketKey = KEYS[3 * i + 1], KEYS[3 * i + 2], KEYS[3 * i + 3]
  local n, m = tonumber(ARGV[at + 3]), tonumber(ARGV[at + 4])
  local deadline, bucket, from, to, id = ARGV[at + 5], ARGV[at + 6], ARGV[at + 7], ARGV[at + 8], ARGV[at + 9]
  local first = at + 10
  local result = commitStep(
    key,
    outbox,
    tonumber(ARGV[at]),
    ARGV[at + 1],
    table.concat(ARGV, '', first, first + n - 1),
    tonumber(ARGV[at + 2]),
    ARGV,
    first + n,
    first + n + m - 1
  )
  if result[1] == 1 then
    if m > 0 then
      redis.call('SADD', KEYS[1], id)
    end
    if deadline ~= '-' then
      setDeadline(bucketKey, KEYS[2], id, deadline, bucket)
    end
    if from ~= '' then
      redis.call('HINCRBY', KEYS[3], from, -1)
    end
    if to ~= '' then
      redis.call('HINCRBY', KEYS[3], to, 1)
    end
  elseif result[1] ~= 0 then
    result = { 0, -2 }
  end
  results[i] = result
  at = first + n + m
end
return results
