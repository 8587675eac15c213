--[[
  Takes a capacity slot of a destination for one attempt, if one is free and the destination is not backed
  off. Idempotent: the same attempt asking again keeps (and renews) the slot it has, back-off or not. Lease
  expiry uses Redis's own clock; the back-off is compared with the caller's instant (the engine's clock,
  which wrote it). With a generation (decision 022), a new slot is taken only if the company's stamp holds
  that generation: a Redis that came back empty (no stamp) refuses it until the live state is rebuilt.

  KEYS[1]  leases: sorted set, member = attempt id, score = expiry (ms, Redis time)
  KEYS[2]  health: hash {backedOffUntil, ...} (see health-record-1)
  KEYS[3]  the company's generation stamp: string
  ARGV[1]  attempt id
  ARGV[2]  maximum simultaneous calls (-1 = unlimited)
  ARGV[3]  lease time in ms
  ARGV[4]  refuse a new slot while backedOffUntil is after this instant (ms); '' = do not look
  ARGV[5]  the generation the caller works in; '' = do not look
  Returns  {granted (1|0), slots held after the call}; {-1, held} when the stamp is not ARGV[5]
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
redis.call('ZADD', KEYS[1], now + leaseMs, ARGV[1])
redis.call('PEXPIRE', KEYS[1], leaseMs * 2)
return {1, held + 1}
