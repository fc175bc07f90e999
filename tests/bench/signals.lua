-- POST /v1/signals with a unique Idempotency-Key per request (a new signal each time).
local token = os.getenv("STEK_BENCH_TOKEN")
local site = os.getenv("STEK_BENCH_SITE")
local today = os.getenv("STEK_BENCH_TODAY")
local n = 0
local id = tostring(math.random(1, 1e9))
local body = string.format(
  '{"kind":"barrier","theme":"mobility","site_id":"%s","occurred_on":"%s","note":"Loket enkel met de auto bereikbaar."}',
  site, today)
request = function()
  n = n + 1
  return wrk.format("POST", "/v1/signals", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = id .. "-" .. n,
  }, body)
end
