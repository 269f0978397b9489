%% pingpong: Rounds round trips of a small message between two processes
%% (default 1,000,000); prints ns per round trip. A short warm-up first, so
%% the timed part does not include loading code or growing the heaps.
-module(pingpong).
-export([main/0, main/1]).

main() -> main([]).

main(Args) ->
    Rounds = proc_bench:arg(Args, 1, 1000000),
    proc_bench:info(),
    Pong = spawn(fun pong/0),
    ping(Pong, 10000),
    T0 = proc_bench:now_ns(),
    ping(Pong, Rounds),
    T1 = proc_bench:now_ns(),
    Pong ! stop,
    proc_bench:result("pingpong_rounds", Rounds),
    proc_bench:result("pingpong_total_ms", (T1 - T0) div 1000000),
    proc_bench:result("pingpong_ns_per_roundtrip", (T1 - T0) div Rounds),
    proc_bench:finish().

ping(_Pong, 0) ->
    ok;
ping(Pong, N) ->
    Pong ! {self(), ping},
    receive
        pong -> ping(Pong, N - 1)
    end.

pong() ->
    receive
        {From, ping} ->
            From ! pong,
            pong();
        stop ->
            ok
    end.
