-- Many different feed queries: municipalities x windows x filters, every request of a run a
-- different query (each wrk thread walks its own part of 268,800 combinations), so that the
-- response cache cannot hide the cost of computing an answer. The bench prints the share of
-- answers that came from the cache all the same. STEK_BENCH_ICS=1: the iCalendar feed.
-- STEK_BENCH_DAYS=N: every window N days long (the window-length measurement).
local functions = {"", "&function=meeting", "&function=learning", "&free=true"}
local path = os.getenv("STEK_BENCH_ICS") == "1" and "/v1/feed.ics" or "/v1/feed"
local fixed = tonumber(os.getenv("STEK_BENCH_DAYS") or "")
local threads = 0
local n = 0

function setup(thread)
  thread:set("first", threads * 100000)
  threads = threads + 1
end

local function date(offset) -- 2026-12-01 + offset days, as YYYY-MM-DD
  return os.date("!%Y-%m-%d", os.time({year = 2026, month = 12, day = 1, hour = 12}) + offset * 86400)
end

request = function()
  local k = (first or 0) + n
  n = n + 1
  local m = 1 + k % 300
  local from = math.floor(k / 300) % 28
  local days = fixed or (28 + math.floor(k / 8400) % 8)
  local f = functions[1 + math.floor(k / 67200) % #functions]
  return wrk.format("GET", string.format("%s?municipality=M%d&from=%s&to=%s%s", path, m,
                                         date(from), date(from + days), f))
end
