-- wrk script for bench/bench_deposits.py: POSTs pre-built deposit bodies, each exactly once.
-- Usage: wrk -t T -c C -d S -s bench/deposits.lua -H ... URL -- BODIES_FILE T
-- Each line of BODIES_FILE is one JSON body; thread k sends the lines i with i % T == k,
-- formatted once in init, so the Lua side costs one table read per request.
local counter = 0

function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
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
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "non2xx": %d, "errors": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
