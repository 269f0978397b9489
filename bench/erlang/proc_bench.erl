%% proc_bench: helpers shared by the process benchmarks in this directory:
%% argument parsing, a nanosecond clock, the RESULT line format that
%% bench/proc_run.sh parses, and the resident size of this beam process.
-module(proc_bench).
-export([arg/3, now_ns/0, result/2, info/0, rss_bytes/0, finish/0]).

%% arg(Args, Index, Default): the Index-th `erl -run` argument as an integer.
%% Arguments are strings; "_" or a missing one means Default.
arg(Args, Index, Default) when length(Args) >= Index ->
    case lists:nth(Index, Args) of
        "_" -> Default;
        S -> list_to_integer(S)
    end;
arg(_, _, Default) ->
    Default.

now_ns() ->
    erlang:monotonic_time(nanosecond).

%% One machine-readable line: `RESULT key value`.
result(Key, Value) when is_integer(Value) ->
    io:format("RESULT ~s ~b~n", [Key, Value]);
result(Key, Value) when is_float(Value) ->
    io:format("RESULT ~s ~.3f~n", [Key, Value]).

%% The facts that change the numbers, on one INFO line per run.
info() ->
    io:format("INFO otp ~s erts ~s schedulers ~b process_limit ~b~n",
              [erlang:system_info(otp_release), erlang:system_info(version),
               erlang:system_info(schedulers_online),
               erlang:system_info(process_limit)]).

%% VmRSS of this OS process (the beam VM), from /proc/self/status.
rss_bytes() ->
    {ok, Status} = file:read_file("/proc/self/status"),
    [_, Rest] = binary:split(Status, <<"VmRSS:">>),
    [Kb | _] = string:lexemes(binary_to_list(Rest), " \t\n"),
    list_to_integer(Kb) * 1024.

%% Flush output and leave: the programs are run with `erl -noshell -run`.
finish() ->
    erlang:halt(0).
