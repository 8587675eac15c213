--[[
  Takes a slot of a destination and one of its capacity pool for one attempt, together (decision 038): both or
  neither. As lease-acquire-3 for the destination (idempotent for the same attempt, which keeps and renews
  both; back-off and generation looked at likewise), and the pool's count must be under its maximum too.

  KEYS[1]  the destination's leases: sorted set, member = attempt id, score = expiry (ms, Redis time)
  KEYS[2]  the destination's health: hash {backedOffUntil, ...} (see health-record-1)
  KEYS[3]  the company's generation stamp: string
  KEYS[4]  the pool's leases: sorted set, as KEYS[1]
  ARGV[1]  attempt id
  ARGV[2]  the destination's maximum simultaneous calls (-1 = unlimited)
  ARGV[3]  lease time in ms
  ARGV[4]  refuse a new slot while backedOffUntil is after this instant (ms); '' = do not look
  ARGV[5]  the generation the caller works in; '' = do not look
  ARGV[6]  the pool's maximum simultaneous calls (-1 = not looked at: a slot restored for a call in progress)
  Returns  {granted (1|0), destination slots held after the call}; {2, pool slots held} when the pool is full;
           {-1, held} when the stamp is not ARGV[5]
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
local leaseMs = tonumber(ARGV[3])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + leaseMs, ARGV[1])
  redis.call('ZADD', KEYS[4], now + leaseMs, ARGV[1])
  redis.call('PEXPIRE', KEYS[4], leaseMs * 2)
  return {1, redis.call('ZCARD', KEYS[1])}
end
local held = redis.call('ZCARD', KEYS[1])
if ARGV[5] ~= '' and redis.call('GET', KEYS[3]) ~= ARGV[5] then
  return {-1, held}
end
if ARGV[4] ~= '' then
  local backedOffUntil = tonumber(redis.call('HGET', KEYS[2], 'backedOffUntil') or '0')
  if backedOffUntil > tonumber(ARGV[4]) then
    return {0, held}
  end
end
local max = tonumber(ARGV[2])
if max >= 0 and held >= max then
  return {0, held}
end
local pooled = redis.call('ZCARD', KEYS[4])
local poolMax = tonumber(ARGV[6])
if poolMax >= 0 and pooled >= poolMax then
  return {2, pooled}
end
redis.call('ZADD', KEYS[1], now + leaseMs, ARGV[1])
redis.call('PEXPIRE', KEYS[1], leaseMs * 2)
redis.call('ZADD', KEYS[4], now + leaseMs, ARGV[1])
redis.call('PEXPIRE', KEYS[4], leaseMs * 2)
return {1, held + 1}
