%% ring: Procs processes in a ring (default 10,000), a token passed around it
%% Rounds times (default 100); prints ns per hop. Building the ring is timed
%% separately and is not part of the per-hop figure.
-module(ring).
-export([main/0, main/1]).

main() -> main([]).

main(Args) ->
    Procs = proc_bench:arg(Args, 1, 10000),
    Rounds = proc_bench:arg(Args, 2, 100),
    true = Procs >= 2 andalso Rounds >= 1,
    proc_bench:info(),
    Hops = Procs * Rounds,
    T0 = proc_bench:now_ns(),
    {First, Pids} = build(Procs),
    T1 = proc_bench:now_ns(),
    %% The token carries the hops still to make; the process that receives
    %% 0 reports back, so exactly Hops messages travel between ring members.
    First ! Hops,
    receive
        {done, _} -> ok
    end,
    T2 = proc_bench:now_ns(),
    [exit(P, kill) || P <- Pids],
    proc_bench:result("ring_procs", Procs),
    proc_bench:result("ring_hops", Hops),
    proc_bench:result("ring_setup_ms", (T1 - T0) div 1000000),
    proc_bench:result("ring_total_ms", (T2 - T1) div 1000000),
    proc_bench:result("ring_ns_per_hop", (T2 - T1) div Hops),
    proc_bench:finish().

%% The first member learns its successor last, once the others exist;
%% the others are spawned from the end of the ring backwards.
build(Procs) ->
    Main = self(),
    First = spawn(fun() -> receive {next, Next} -> member(Next, Main) end end),
    Rest = spawn_back(Procs - 1, First, Main, []),
    First ! {next, hd(Rest)},
    {First, [First | Rest]}.

spawn_back(0, _Next, _Main, Acc) ->
    Acc;
spawn_back(K, Next, Main, Acc) ->
    P = spawn(fun() -> member(Next, Main) end),
    spawn_back(K - 1, P, Main, [P | Acc]).

member(Next, Main) ->
    receive
        0 ->
            Main ! {done, self()},
            member(Next, Main);
        N ->
            Next ! N - 1,
            member(Next, Main)
    end.
