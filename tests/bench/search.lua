-- The search bench's requests (tests/bench/search.sh): STEK_BENCH_PATH (/v1/feed or /v1/offers)
-- with one of the relevance set's queries (STEK_BENCH_QUERIES, URL-encoded, one per line) when
-- STEK_BENCH_Q=1, in one of 300 municipalities when STEK_BENCH_MUNICIPALITY=1, and a window that
-- moves on, so that no two requests of a run are the same query (each wrk thread walks its own
-- part of the combinations): the response cache cannot answer.
local path = os.getenv("STEK_BENCH_PATH") or "/v1/feed"
local with_q = os.getenv("STEK_BENCH_Q") == "1"
local with_m = os.getenv("STEK_BENCH_MUNICIPALITY") == "1"
local queries = {}
for line in io.lines(os.getenv("STEK_BENCH_QUERIES")) do queries[#queries + 1] = line end
local threads = 0
local n = 0

function setup(thread)
  thread:set("first", threads * 1000000)
  threads = threads + 1
end

local function date(offset)
  return os.date("!%Y-%m-%d", os.time({year = 2026, month = 12, day = 1, hour = 12}) + offset * 86400)
end

local langs = {"nl", "fr", "de", "en"}

request = function()
  local rest = (first or 0) + n
  n = n + 1
  local args = {}
  if with_q then
    args[#args + 1] = "q=" .. queries[1 + rest % #queries]
    rest = math.floor(rest / #queries)
  end
  if with_m then
    args[#args + 1] = "municipality=M" .. (1 + rest % 300)
    rest = math.floor(rest / 300)
  end
  if path == "/v1/feed" then -- 300 first days x 8 lengths
    local from = rest % 300
    args[#args + 1] = "from=" .. date(from) .. "&to=" .. date(from + 28 + math.floor(rest / 300) % 8)
  else -- 4 languages x 50 page sizes
    args[#args + 1] = "lang=" .. langs[1 + rest % 4] .. "&limit=" .. (10 + math.floor(rest / 4) % 50)
  end
  return wrk.format("GET", path .. "?" .. table.concat(args, "&"))
end
