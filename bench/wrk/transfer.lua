-- wrk script for the server-level benchmark (see bench/run.sh).
-- Sends one legitimate, logged-in browser request over and over:
--   WRK_METHOD=GET   GET /transfer (navigation, same-origin)
--   WRK_METHOD=POST  POST /api/transfer (fetch, JSON, token in X-CSRF-Token)
-- with the cookies and token a real GET handed out (WRK_COOKIE, WRK_TOKEN).
-- Prints one machine-readable line; counts every non-2xx response.
local method = os.getenv("WRK_METHOD") or "GET"
local cookie = os.getenv("WRK_COOKIE") or ""
local token = os.getenv("WRK_TOKEN") or ""
local origin = os.getenv("WRK_ORIGIN") or ""
local label = os.getenv("WRK_LABEL") or ""

wrk.method = method
wrk.headers["Cookie"] = cookie
wrk.headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
wrk.headers["Sec-Fetch-Site"] = "same-origin"
if method == "POST" then
  wrk.body = '{"to":"alice","amount":1}'
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json"
  wrk.headers["Origin"] = origin
  wrk.headers["Sec-Fetch-Mode"] = "cors"
  wrk.headers["X-CSRF-Token"] = token
else
  wrk.headers["Accept"] = "text/html"
  wrk.headers["Sec-Fetch-Mode"] = "navigate"
end

local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) non2xx = 0 end
function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end
function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("non2xx") end
  local e = summary.errors
  io.write(string.format("WRK %s rps=%.1f p50_us=%d p99_us=%d requests=%d non2xx=%d socket_errors=%d\n",
    label, summary.requests / (summary.duration / 1e6), latency:percentile(50), latency:percentile(99),
    summary.requests, bad, e.connect + e.read + e.write + e.timeout))
end
