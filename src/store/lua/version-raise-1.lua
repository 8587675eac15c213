--[[
  Raises the copy of a company's authority version to at least the given value: copies written late or
  twice never move it back.

  KEYS[1]  the company's authority version (string integer)
  ARGV[1]  the version the system of record holds now
  Returns  the copy's value after the call
]]
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
local version = tonumber(ARGV[1])
if version > current then
  redis.call('SET', KEYS[1], ARGV[1])
  return version
end
return current
