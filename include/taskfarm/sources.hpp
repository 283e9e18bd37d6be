#pragma once
/// @file
/// Sources and folds: taskfarm::range, taskfarm::generate, taskfarm::fold (part of taskfarm.hpp).

#include <cstdint>
#include <functional>
#include <type_traits>
#include <utility>

namespace taskfarm {

/// The half-open range [first, last) of integers, streamed: never materialised.
template <class I>
struct range {
  static_assert(std::is_integral_v<I>, "taskfarm::range: an integer type");
  /// [first_value, last_value); empty when last_value < first_value.
  range(I first_value, I last_value) : first(first_value), last(last_value < first_value ? first_value : last_value) {}
  I first;  ///< the first task
  I last;   ///< one past the last task
};

/// `count` tasks, task i being `make(i)` for i = 0 .. count-1: a streamed source whose
/// size is known (progress shows a total). Rank 0 calls `make(i)` again for a task that
/// is retried or handed out again, so `make` must depend on `i` alone.
template <class F>
struct generated {
  std::uint64_t count;  ///< how many tasks
  F make;               ///< task i is make(i)
};
/// A source of `count` tasks, task i being `make(i)`: see generated.
template <class F>
generated<std::decay_t<F>> generate(std::uint64_t count, F&& make) {
  return {count, std::forward<F>(make)};
}

/// A fold: every result combined into one value with `op`, starting from `init`. Made by
/// taskfarm::fold.
template <class V, class Op = std::plus<>>
struct Fold {
  V init;  ///< the initial value (counted once)
  Op op;   ///< the combining operation, V op(V, V)
};

/// Folds every result into one value with `op`, starting from `init`. `op` must be
/// associative and commutative: each worker folds its own results, and rank 0 folds the
/// workers' values. Any callable works: `fold<double>(1.0, std::multiplies<>{})`,
/// `fold<double>(-1.0, [](double a, double b) { return std::max(a, b); })`, or `fold(0.0,
/// op)` with V deduced; `fold<V>(init)` adds with std::plus<>.
template <class V, class Op = std::plus<>>
Fold<V, std::decay_t<Op>> fold(V init, Op&& op = Op{}) {
  return {std::move(init), std::forward<Op>(op)};
}

}  // namespace taskfarm
