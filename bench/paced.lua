-- wrk script for bench/engine.sh's latency table: every connection waits 1 ms after each answer
-- before it sends the next request, so the offered load is about (connections x 1000) req/s
-- whatever the server's capacity.
function delay()
    return 1
end
