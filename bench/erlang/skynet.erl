%% skynet: a Div-ary tree (default 10) of Size leaf processes (default
%% 1,000,000); each leaf sends its number to its parent, each inner process
%% sums what its children send and passes the sum up. Prints the total time
%% and checks the sum (Size * (Size - 1) / 2).
-module(skynet).
-export([main/0, main/1]).

main() -> main([]).

main(Args) ->
    Size = proc_bench:arg(Args, 1, 1000000),
    Div = proc_bench:arg(Args, 2, 10),
    proc_bench:info(),
    Self = self(),
    T0 = proc_bench:now_ns(),
    spawn(fun() -> skynet(Self, 0, Size, Div) end),
    Sum = receive
              S -> S
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
