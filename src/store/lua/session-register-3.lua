--[[
  Registers (or renews) a live connector session for its lease time, on Redis's clock. Registering again
  is the renewal, so a session whose entry was lost (Redis restarted empty) comes back at its next renewal.

  KEYS[1]  sessions: sorted set (see session-candidates-4)
  KEYS[2]  session keys: hash (see session-candidates-4)
  KEYS[3]  acknowledging sessions: hash (KEYS[4] of session-candidates-4)
  ARGV[1]  session id
  ARGV[2]  connector key id
  ARGV[3]  lease time in ms
  ARGV[4]  '1' when the session acknowledges its instructions explicitly, else '0'
  Returns  1
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
if ARGV[4] == '1' then
  redis.call('HSET', KEYS[3], ARGV[1], '1')
else
  redis.call('HDEL', KEYS[3], ARGV[1])
end
return 1
