--[[
  Commit one dialogue step atomically, if nobody else committed since we read (includes/commit.lua).

  Compare-and-set on the version: a late reply and a deadline that fire together,
  or two replies at once, cannot both win; the loser re-reads and decides again.
  All keys share the conversation's hash tag, so this runs on Redis Cluster.

  KEYS[1]  conversation  (gw:{c:<id>})     one string: the format tag 0x01, version (4 bytes,
                                           big-endian), length of the doc (4 bytes), the
                                           outcomes handed over (2 bytes, kept as they are:
                                           store/lua/mark-outcome-1.lua sets them), the doc,
                                           then the timeline entries, each after its length
                                           (2 bytes) (docs/storage.md)
  KEYS[2]  outbox list   (gw:{c:<id>}:out)

  ARGV[1]  expected version (-1: the conversation must not exist yet)
  ARGV[2]  the new conversation document (packed JSON)
  ARGV[3]  TTL in seconds for the keys (the conversation ended); 0 = no TTL (it is open,
           or was reopened by a reply delivered in time: any earlier TTL is removed)
  ARGV[4]  n, the number of timeline entries that follow
  ARGV[5 .. 4+n]    timeline entries, each after its length (2 bytes, big-endian)
  ARGV[5+n .. #ARGV] outbox entries (JSON)

  Returns: { 1, newVersion, the outcomes' bits } committed; { 0, currentVersion } conflict (-1 when absent).
]]
--- @include "commit"
local n = tonumber(ARGV[4])
return commitStep(
  KEYS[1],
  KEYS[2],
  tonumber(ARGV[1]),
  ARGV[2],
  table.concat(ARGV, '', 5, 4 + n),
  tonumber(ARGV[3]),
  ARGV,
  5 + n,
  #ARGV
)
