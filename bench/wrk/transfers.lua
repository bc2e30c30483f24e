-- wrk script for Kosh transfers (POST /api/v1/transfers). Loaded once per wrk thread; each thread
-- has its own Lua state, so counters live in thread globals and are gathered in done().
--
-- Script arguments (after `--` on the wrk command line):
--   1: path of the generated data file (a Lua table literal, see bench/support.ts), or "-"
--   2: mode: "uniform" (random destination among all accounts), "hot" (every transfer credits
--      the merchant account) or "get" (a plain GET of the path in argument 4, for the load
--      generator check)
--   3: a nonce unique to this run, so Idempotency-Keys never repeat across runs and phases
--   4: the path for mode "get"
--
-- done() prints one line `KOSH_BENCH_RESULT {json}` that bench/run.ts parses.

local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

local data, mode, nonce, get_path
local counter = 0
statuses = {}

function init(args)
  if args[1] ~= nil and args[1] ~= "-" then data = dofile(args[1]) end
  mode = args[2] or "uniform"
  nonce = args[3] or tostring(os.time())
  get_path = args[4] or "/healthz"
  -- Seed differently per thread and per run.
  math.randomseed(os.time() * 1000 + (thread_id or 1) * 7919 + #nonce)
  for _ = 1, 10 do math.random() end
end

local customers_n, numbers_n

local function body_for(customer)
  local own = customer.accounts
  local from_index = math.random(#own)
  local from = own[from_index]
  if mode == "hot" then
    -- A fixed amount makes the merchant's balance checkable against the count of 2xx responses.
    return string.format('{"from_account_id":"%s","to_account_number":"%s","amount":"1.00"}', from, data.merchant)
  end
  local amount = string.format("%d.%02d", math.random(1, 9), math.random(0, 99))
  numbers_n = numbers_n or #data.numbers
  while true do
    local d = math.random(numbers_n)
    local to_id = data.ids[d]
    if to_id ~= from then
      if data.owners[d] == customer.index then
        -- Own destination: by id, as a customer pays between their own accounts.
        return string.format('{"from_account_id":"%s","to_account_id":"%s","amount":"%s"}', from, to_id, amount)
      end
      return string.format('{"from_account_id":"%s","to_account_number":"%s","amount":"%s"}', from, data.numbers[d], amount)
    end
  end
end

function request()
  if mode == "get" then return wrk.format("GET", get_path) end
  customers_n = customers_n or #data.customers
  local customer = data.customers[math.random(customers_n)]
  counter = counter + 1
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = customer.auth,
    ["Idempotency-Key"] = string.format("wrk-%s-%d-%d-%d", nonce, thread_id or 1, counter, math.random(0, 999999999)),
  }
  return wrk.format("POST", "/api/v1/transfers", headers, body_for(customer))
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

local function json_escape(s)
  return (tostring(s):gsub('[%c"\\]', function(c) return string.format("\\u%04x", string.byte(c)) end))
end

function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses") or {}
    for status, n in pairs(counts) do
      local key = tostring(status)
      totals[key] = (totals[key] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(totals) do
    table.insert(parts, string.format('"%s":%d', json_escape(status), n))
  end
  local e = summary.errors
  io.write(string.format(
    'KOSH_BENCH_RESULT {"duration_us":%d,"requests":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d,"mean":%.1f},"statuses":{%s}}\n',
    summary.duration, summary.requests, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean, table.concat(parts, ",")))
end
