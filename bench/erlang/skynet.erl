%% skynet: a Div-ary tree (default 10) of Size leaf processes (default
%% 1,000,000); each leaf sends its number to its parent, each inner process
%% sums what its children send and passes the sum up. Prints the total time
%% and checks the sum (Size * (Size - 1) / 2). Size should be a power of Div.
%% Up to every process of the tree (1,111,111 by default) can be alive at
%% once, above the default limit of 262,144: run it with `erl +P 2000000`,
%% as the usual Erlang skynet does. With too low a limit it says so and
%% exits with status 2 instead of failing half-way.
-module(skynet).
-export([main/0, main/1]).

main() -> main([]).

main(Args) ->
    Size = proc_bench:arg(Args, 1, 1000000),
    Div = proc_bench:arg(Args, 2, 10),
    proc_bench:info(),
    check_limit(tree_size(Size, Div)),
    Self = self(),
    T0 = proc_bench:now_ns(),
    spawn(fun() -> skynet(Self, 0, Size, Div) end),
    Sum = receive
              S -> S
          after 600000 ->
              io:format("ERROR skynet: no result after 600 s~n"),
              erlang:halt(1)
          end,
    T1 = proc_bench:now_ns(),
    Expected = Size * (Size - 1) div 2,
    case Sum of
        Expected -> ok;
        _ -> io:format("ERROR skynet sum ~b, expected ~b~n", [Sum, Expected]),
             erlang:halt(1)
    end,
    proc_bench:result("skynet_leaves", Size),
    proc_bench:result("skynet_sum", Sum),
    proc_bench:result("skynet_ms", (T1 - T0) div 1000000),
    proc_bench:finish().

tree_size(1, _Div) -> 1;
tree_size(Size, Div) -> 1 + Div * tree_size(Size div Div, Div).

check_limit(Procs) ->
    Limit = erlang:system_info(process_limit),
    case erlang:system_info(process_count) + Procs =< Limit of
        true -> ok;
        false ->
            io:format("SKIP skynet: ~b processes need erl +P above ~b (limit is ~b)~n",
                      [Procs, Procs, Limit]),
            erlang:halt(2)
    end.

skynet(Parent, Num, 1, _Div) ->
    Parent ! Num;
skynet(Parent, Num, Size, Div) ->
    Self = self(),
    Sub = Size div Div,
    spawn_children(Self, Num, Sub, Div, 0),
    Parent ! collect(Div, 0).

spawn_children(_Self, _Num, _Sub, Div, Div) ->
    ok;
spawn_children(Self, Num, Sub, Div, I) ->
    spawn(fun() -> skynet(Self, Num + I * Sub, Sub, Div) end),
    spawn_children(Self, Num, Sub, Div, I + 1).

collect(0, Sum) ->
    Sum;
collect(K, Sum) ->
    receive
        N -> collect(K - 1, Sum + N)
    end.
