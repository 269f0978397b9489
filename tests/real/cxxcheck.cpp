// tests/real/cxxcheck.cpp - a C++ program (libc++, no exceptions) run
// natively and under `isola run` by compare_test.sh, which requires the same
// stdout and exit status: virtual dispatch, global constructors and
// destructors, the standard containers and algorithms, streams, lambdas
// and std::function, <cmath>, and a pass over stdin.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <numeric>
#include <set>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

struct Shape {
    virtual ~Shape() = default;
    virtual double area() const = 0;
    virtual std::string name() const = 0;
};

struct Circle final : Shape {
    explicit Circle(double r) : r(r) {}
    double area() const override { return M_PI * r * r; }
    std::string name() const override { return "circle"; }
    double r;
};

struct Rect final : Shape {
    Rect(double w, double h) : w(w), h(h) {}
    double area() const override { return w * h; }
    std::string name() const override { return "rect"; }
    double w, h;
};

int constructed = 0;

struct Global {
    Global() { constructed = 42; }
    ~Global() { std::printf("global destructor ran\n"); }
} global;

void shapes()
{
    std::vector<std::unique_ptr<Shape>> all;
    for (int i = 1; i <= 6; i++) {
        all.push_back(std::make_unique<Circle>(i * 0.5));
        all.push_back(std::make_unique<Rect>(i, i + 1));
    }
    std::stable_sort(all.begin(), all.end(), [](const auto &a, const auto &b) { return a->area() < b->area(); });
    std::ostringstream os;
    os << std::fixed << std::setprecision(4);
    for (const auto &s : all)
        os << s->name() << '=' << s->area() << ' ';
    std::cout << "shapes: " << os.str() << '\n';
}

void containers()
{
    std::map<std::string, long> by_key;
    std::unordered_map<int, std::string> squares;
    std::set<int> residues;
    for (int i = 0; i < 5000; i++) {
        by_key["k" + std::to_string(i % 41)] += i;
        squares[i] = std::to_string(static_cast<long>(i) * i);
        residues.insert(i * i % 97);
    }
    std::vector<int> v(1000);
    std::iota(v.begin(), v.end(), -500);
    std::rotate(v.begin(), v.begin() + 123, v.end());
    auto it = std::partition(v.begin(), v.end(), [](int x) { return x % 3 == 0; });
    std::cout << "containers: " << by_key.size() << ' ' << by_key["k7"] << ' ' << squares[4999] << ' '
              << residues.size() << ' ' << (it - v.begin()) << ' ' << std::accumulate(v.begin(), v.end(), 0L) << '\n';
}

void numbers()
{
    std::function<long(int)> fib = [&](int n) -> long { return n < 2 ? n : fib(n - 1) + fib(n - 2); };
    double s = 0;
    for (int i = 1; i <= 1000; i++)
        s += std::sin(i) * std::exp(-i / 500.0) + std::cbrt(i);
    std::cout << "numbers: fib " << fib(25) << std::setprecision(12) << " series " << s << " hypot "
              << std::hypot(3.0, 4.0) << " round " << std::lround(-2.5) << '\n';
}

}  // namespace

int main(int argc, char **argv)
{
    shapes();
    containers();
    numbers();
    long total = 0;
    int lines = 0;
    std::string line;
    while (std::getline(std::cin, line)) {
        lines++;
        std::istringstream words(line);
        long n;
        while (words >> n)
            total += n;
    }
    std::cout << "stdin: " << lines << " lines, total " << total << "; args " << argc - 1
              << (argc > 1 ? std::string(", first ") + argv[1] : std::string()) << "; constructed " << constructed
              << std::endl;
    return 5;
}
