-- wrk script for bench/bench_deposits.py: POSTs pre-built deposit bodies, each exactly once.
-- Usage: wrk -t T -c C -d S -s bench/deposits.lua -H ... URL -- BODIES_FILE T
-- Each line of BODIES_FILE is one JSON body; thread k sends the lines i with i % T == k,
-- formatted once in init, so the Lua side costs one table read per request.
local counter = 0
local threads = {}

function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
  threads[#threads + 1] = thread
end

function init(args)
  local threads = tonumber(args[2])
  requests_ = {}
  local i = 0
  for line in io.lines(args[1]) do
    if i % threads == index then
      requests_[#requests_ + 1] = wrk.format("POST", "/items", nil, line)
    end
    i = i + 1
  end
  next_ = 0
end

function request()
  next_ = next_ + 1
  if next_ > #requests_ then
    next_ = 1 -- out of bodies: a repeat answers 409, counted as a non-2xx and reported
  end
  return requests_[next_]
end

function done(summary, latency, requests)
  -- the most lines any one thread sent: the caller drops that many rounds of lines
  local sent = 0
  for _, thread in ipairs(threads) do
    sent = math.max(sent, thread:get("next_") or 0)
  end
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "non2xx": %d, "errors": %d, "p50_us": %d, "p99_us": %d, "most_per_thread": %d}\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), sent))
end
