--[[
  Marks an attempt's slot as answered (connecting -> active) and renews its lease. Idempotent.

  KEYS[1]  leases: sorted set (see lease-acquire-3)
  KEYS[2]  answered: set of attempt ids whose call was answered
  ARGV[1]  attempt id
  ARGV[2]  lease time in ms
  Returns  1 when the attempt holds a slot, 0 when it holds none (expired or released)
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expiry = redis.call('ZSCORE', KEYS[1], ARGV[1])
if (not expiry) or tonumber(expiry) <= now then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[2]) * 2)
return 1
