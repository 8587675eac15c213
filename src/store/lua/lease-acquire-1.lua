--[[
  Takes a capacity slot of a destination for one attempt, if one is free. Idempotent: the same attempt
  asking again keeps (and renews) the slot it has. Expiry uses Redis's own clock.

  KEYS[1]  leases: sorted set, member = attempt id, score = expiry (ms, Redis time)
  ARGV[1]  attempt id
  ARGV[2]  maximum simultaneous calls (-1 = unlimited)
  ARGV[3]  lease time in ms
  Returns  {granted (1|0), slots held after the call}
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local leaseMs = tonumber(ARGV[3])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + leaseMs, ARGV[1])
  return {1, redis.call('ZCARD', KEYS[1])}
end
local held = redis.call('ZCARD', KEYS[1])
local max = tonumber(ARGV[2])
if max >= 0 and held >= max then
  return {0, held}
end
redis.call('ZADD', KEYS[1], now + leaseMs, ARGV[1])
redis.call('PEXPIRE', KEYS[1], leaseMs * 2)
return {1, held + 1}
