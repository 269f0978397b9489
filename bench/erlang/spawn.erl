%% spawn: the cost of creating and ending processes, and of keeping them.
%% Three measurements, chosen by the first argument (default: all three):
%%   exit N   (default 1,000,000) processes that end at once, spawned one
%%            after another; timed until all have ended. The number of live
%%            processes stays small, so default flags suffice.
%%   wait N   (default 1,000,000) processes that block in receive, all alive
%%            at once (needs `erl +P` above N), then all told to stop; timed
%%            until the last has ended. The issue's 3.2 s reference is this.
%%   mem  N   (default 100,000) idle processes blocked in receive; bytes per
%%            process from erlang:memory(processes), from the beam's VmRSS
%%            and from process_info(P, memory) of one of them.
-module(spawn).
-export([main/0, main/1]).

main() -> main([]).

main([]) -> main(["all"]);
main([Mode | Rest]) ->
    proc_bench:info(),
    case Mode of
        "exit" -> exit_bench(proc_bench:arg(Rest, 1, 1000000));
        "wait" -> wait_bench(proc_bench:arg(Rest, 1, 1000000));
        "mem" -> mem_bench(proc_bench:arg(Rest, 1, 100000));
        "all" ->
            %% Memory first, on a VM whose allocators have not yet been
            %% grown by a million processes.
            mem_bench(100000),
            exit_bench(1000000),
            wait_bench(1000000)
    end,
    proc_bench:finish().

exit_bench(N) ->
    Base = erlang:system_info(process_count),
    T0 = proc_bench:now_ns(),
    spawn_n(N, fun() -> ok end),
    wait_count(Base),
    T1 = proc_bench:now_ns(),
    proc_bench:result("spawn_exit_procs", N),
    proc_bench:result("spawn_exit_total_ms", (T1 - T0) div 1000000),
    proc_bench:result("spawn_exit_ns_per_proc", (T1 - T0) div N),
    proc_bench:result("spawn_exit_procs_per_sec", N * 1000000000 div max(1, T1 - T0)).

wait_bench(N) ->
    Limit = erlang:system_info(process_limit),
    Base = erlang:system_info(process_count),
    case Base + N + 10 =< Limit of
        true -> wait_bench(N, Base);
        false ->
            io:format("SKIP spawn_wait: ~b processes need erl +P above ~b (limit is ~b)~n",
                      [N, Base + N, Limit])
    end.

wait_bench(N, Base) ->
    T0 = proc_bench:now_ns(),
    Pids = spawn_list(N, fun idle/0, []),
    T1 = proc_bench:now_ns(),
    [P ! stop || P <- Pids],
    wait_count(Base),
    T2 = proc_bench:now_ns(),
    proc_bench:result("spawn_wait_procs", N),
    proc_bench:result("spawn_wait_spawn_ms", (T1 - T0) div 1000000),
    proc_bench:result("spawn_wait_total_ms", (T2 - T0) div 1000000),
    proc_bench:result("spawn_wait_ns_per_proc", (T2 - T0) div N).

%% The spawner keeps no pids here, so its own heap does not grow with N and
%% is not counted as the children's; they are found again through
%% erlang:processes() to be stopped.
mem_bench(N) ->
    erlang:garbage_collect(),
    Before = erlang:processes(),
    Mem0 = erlang:memory(processes),
    Rss0 = proc_bench:rss_bytes(),
    spawn_n(N, fun idle/0),
    wait_count(length(Before) + N),
    Mem1 = erlang:memory(processes),
    Rss1 = proc_bench:rss_bytes(),
    New = erlang:processes() -- Before,
    {memory, One} = erlang:process_info(hd(New), memory),
    [P ! stop || P <- New],
    proc_bench:result("idle_procs", N),
    proc_bench:result("idle_proc_bytes_erlmem", (Mem1 - Mem0) div N),
    proc_bench:result("idle_proc_bytes_rss", (Rss1 - Rss0) div N),
    proc_bench:result("idle_proc_bytes_info", One).

idle() ->
    receive
        stop -> ok
    end.

spawn_n(0, _Fun) ->
    ok;
spawn_n(K, Fun) ->
    spawn(Fun),
    spawn_n(K - 1, Fun).

spawn_list(0, _Fun, Acc) ->
    Acc;
spawn_list(K, Fun, Acc) ->
    spawn_list(K - 1, Fun, [spawn(Fun) | Acc]).

%% Until the VM's process count reaches Count: after spawning, the
%% processes may still be starting or ending on the other scheduler.
wait_count(Count) ->
    case erlang:system_info(process_count) of
        Count -> ok;
        _ ->
            receive after 1 -> wait_count(Count) end
    end.
