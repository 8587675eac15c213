--[[
  Claims timers that are due, each for exactly one caller: a claimed timer moves to the in-flight set with a
  lease. A timer whose claimer died without acknowledging it (lease expired) becomes due again, so it
  survives the death of any instance.

  KEYS[1]  due: sorted set (see timer-schedule-3)
  KEYS[2]  payloads: hash (see timer-schedule-3)
  KEYS[3]  in flight: sorted set, member = timer id, score = lease end (ms)
  ARGV[1]  most timers to claim
  ARGV[2]  lease in ms
  Returns  flat list {id, payload, id, payload, ...}
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)) do
  redis.call('ZREM', KEYS[3], id)
  redis.call('ZADD', KEYS[1], now, id)
end
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))) do
  redis.call('ZREM', KEYS[1], id)
  local payload = redis.call('HGET', KEYS[2], id)
  if payload then
    redis.call('ZADD', KEYS[3], now + tonumber(ARGV[2]), id)
    table.insert(out, id)
    table.insert(out, payload)
  end
end
return out
