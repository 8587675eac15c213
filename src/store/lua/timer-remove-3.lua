--[[
  Removes a timer wherever it is: cancelled before it fired, or acknowledged after it was handled.

  KEYS[1]  due, KEYS[2] payloads, KEYS[3] in flight (see timer-claim-3)
  ARGV[1]  timer id
  Returns  1 when the timer existed, else 0
]]
local removed = redis.call('ZREM', KEYS[1], ARGV[1]) + redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
if removed > 0 then return 1 end
return 0
