--[[
  Schedules (or moves) a timer to fire after a delay measured on Redis's clock. Idempotent by timer id: a
  schedule replaces an earlier one of the same id, even one claimed and in flight.

  KEYS[1]  due: sorted set, member = timer id, score = due time (ms)
  KEYS[2]  payloads: hash, timer id -> payload
  KEYS[3]  in flight: sorted set (see timer-claim-3)
  ARGV[1]  timer id
  ARGV[2]  delay in ms
  ARGV[3]  payload
  Returns  the due time (ms, Redis time)
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local due = now + tonumber(ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZADD', KEYS[1], due, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return due
