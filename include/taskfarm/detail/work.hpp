#pragma once
/// @file
/// The type-erased work an App or a Farm runs: streams, kernels, the root side (part of taskfarm.hpp).

#include <cstdint>
#include <cstring>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <mpi.h>

#include "taskfarm/codec.hpp"
#include "taskfarm/group.hpp"
#include "taskfarm/sources.hpp"
#include "taskfarm/task.hpp"

namespace taskfarm::detail {

/// Master side: task payloads in order.
class TaskStream {
 public:
  virtual ~TaskStream() = default;
  virtual std::optional<std::uint64_t> size() const = 0;
  virtual bool next(std::string& payload) = 0;
  /// Sources that compute task i from i (range, generate) give it again: rank 0 then
  /// keeps no copy of the tasks in flight.
  virtual bool replayable() const { return false; }
  virtual bool replay(std::uint64_t /*index*/, std::string& /*payload*/) { return false; }
  /// Sources whose every payload has the same size (a range or generate of numbers):
  /// that size, and then next_fixed() appends up to `max` payloads back to back to `out`
  /// and returns how many (fewer only at the end). 0: one at a time, through next().
  virtual std::size_t fixed_bytes() const { return 0; }
  virtual std::size_t next_fixed(std::string& /*out*/, std::size_t /*max*/) { return 0; }
};

/// The ranks that run one task (--ranks-per-task), as the engine knows them: the
/// kernels' communicator, this rank's place in it, and where each of its ranks runs.
struct RankGroup {
  MPI_Comm comm = MPI_COMM_SELF;
  int rank = 0;
  int size = 1;
  /// By group rank: its host, and the cores it may use ("0-3,8"; empty when it is not
  /// bound to fewer than its host's).
  std::vector<std::string> hosts;
  std::vector<std::string> cores;
  /// The kernel's view of it.
  Group view() const { return Group(comm, rank, size); }
};

/// Where a rank runs its tasks, as the engine tells its kernel before the first one.
struct KernelPlace {
  int rank = 0;     ///< in the run's communicator
  int workers = 1;  ///< how many ranks (or groups) run tasks
  RankGroup group;  ///< the ranks of this rank's tasks: itself alone, or its group
};

/// What a kernel counted on its rank, summed over the ranks into the report.
struct KernelCounts {
  std::uint64_t bytes_read = 0;  ///< input bytes read
  std::vector<std::pair<std::string, std::uint64_t>> named;  ///< the job's own counts (walk's files)
};

/// The engine's one kernel interface: the library's typed kernels (kernels.hpp) and the
/// taskfarm program's built-in jobs implement it alike. One object per rank runs every
/// task of the rank, one attempt at a time.
class TaskKernel {
 public:
  virtual ~TaskKernel() = default;
  /// Before the first task, on every rank that runs tasks (each rank of a group too).
  virtual void start(const KernelPlace& /*place*/) {}
  /// Runs one attempt: reads task.payload, appends its output to *task.out, submits
  /// through task.submitter. Throws to fail the attempt; the engine then takes back what
  /// it wrote and submitted.
  virtual void run(TaskContext& task) = 0;
  /// After a batch, on a rank with a part file: `out` from `from` on is the batch's
  /// output, which the kernel may rewrite (a fold folds it into one partial value).
  virtual void end_batch(std::string& /*out*/, std::size_t /*from*/) {}
  /// What it counted on this rank, for the report.
  virtual KernelCounts counts() const { return {}; }
};

/// Rank 0: results sent to it (an embedded sink, a fold without an output directory), and
/// the partial values of a fold.
class RootSide {
 public:
  virtual ~RootSide() = default;
  virtual void deliver(std::string_view data) = 0;
  virtual void add_partial(std::string_view encoded) = 0;
  virtual std::string value_text() const = 0;
};

enum class Shape : int {
  lines,    ///< each task's output is lines: stdout or part files
  to_root,  ///< each task's result goes to a sink on rank 0
  fold,     ///< every result is folded into one value
};

struct Work {
  Shape shape = Shape::lines;
  std::unique_ptr<TaskStream> stream;
  std::unique_ptr<TaskKernel> kernel;
  std::string (*describe)(std::string_view payload) = nullptr;  ///< a task as text (-v, the _failed file)
  RootSide* root = nullptr;
  bool submits = false;  ///< the kernel may submit tasks (a Task<T>& or Submit<T>& form)
  std::unique_ptr<RootSide> owned_root;  ///< the root side, when the Work owns it (App)
};

template <class T>
void encode(const T& value, std::string& out) {
  static_assert(has_codec<T>,
                "taskfarm: no codec for this task or result type. Use an arithmetic type, a trivially copyable "
                "struct, std::string, or a std::vector, std::pair or std::tuple of those; or specialise "
                "taskfarm::codec<T> with encode and decode");
  codec<T>::encode(value, out);
}
template <class T>
T decode(std::string_view& in) {
  return codec<T>::decode(in);
}

// ---- sources ---------------------------------------------------------------------

template <class S, class = void>
struct is_iterable : std::false_type {};
template <class S>
struct is_iterable<S, std::void_t<decltype(std::begin(std::declval<S&>())), decltype(std::end(std::declval<S&>()))>>
    : std::true_type {};

template <class S, class = void>
struct has_size : std::false_type {};
template <class S>
struct has_size<S, std::void_t<decltype(std::size(std::declval<const S&>()))>> : std::true_type {};

template <class S, class = void>
struct source_traits {
  static constexpr bool valid = false;
  using task = void;
};
template <class I>
struct source_traits<range<I>> {
  static constexpr bool valid = true;
  using task = I;
};
template <class F>
struct source_traits<generated<F>> {
  static constexpr bool valid = true;
  using task = std::decay_t<std::invoke_result_t<F&, std::uint64_t>>;
};
template <class S>
struct source_traits<S, std::enable_if_t<is_iterable<S>::value>> {
  static constexpr bool valid = true;
  using task = std::decay_t<decltype(*std::begin(std::declval<S&>()))>;
};
template <class O>
struct optional_value {
  using type = void;
};
template <class T>
struct optional_value<std::optional<T>> {
  using type = T;
};
template <class S>
struct source_traits<S, std::enable_if_t<!is_iterable<S>::value && std::is_invocable_v<S&>>> {
  static constexpr bool valid = !std::is_void_v<typename optional_value<std::decay_t<std::invoke_result_t<S&>>>::type>;
  using task = typename optional_value<std::decay_t<std::invoke_result_t<S&>>>::type;
};

template <class S>
using task_of = typename source_traits<std::decay_t<S>>::task;

/// Turns any supported source into a TaskStream. `Stored` is the source itself when it
/// was passed as a temporary, a reference to it otherwise.
template <class Stored>
class SourceStream final : public TaskStream {
  using S = std::decay_t<Stored>;
  using T = task_of<S>;

 public:
  explicit SourceStream(Stored source) : source_(std::forward<Stored>(source)) {}
  std::optional<std::uint64_t> size() const override {
    if constexpr (std::is_same_v<S, range<T>>) {
      return static_cast<std::uint64_t>(source_.last) - static_cast<std::uint64_t>(source_.first);
    } else if constexpr (is_generated) {
      return source_.count;
    } else if constexpr (is_iterable<S>::value && has_size<S>::value) {
      return static_cast<std::uint64_t>(std::size(source_));
    } else {
      return std::nullopt;
    }
  }
  bool replayable() const override { return std::is_same_v<S, range<T>> || is_generated; }
  std::size_t fixed_bytes() const override {
    if constexpr (numbers_by_index) return raw_codec() ? sizeof(T) : 0;
    return 0;
  }
  std::size_t next_fixed(std::string& out, std::size_t max) override {
    if constexpr (numbers_by_index) {
      const std::uint64_t left = *size() - index_;
      const std::size_t n = static_cast<std::size_t>(left < max ? left : max);
      const std::size_t at = out.size();
      out.resize(at + n * sizeof(T));
      for (std::size_t i = 0; i < n; ++i) {
        const T value = at_index(index_ + i);
        std::memcpy(out.data() + at + i * sizeof(T), &value, sizeof value);
      }
      index_ += n;
      return n;
    }
    return 0;
  }
  bool replay(std::uint64_t index, std::string& payload) override {
    payload.clear();
    if constexpr (std::is_same_v<S, range<T>>) {
      if (index >= static_cast<std::uint64_t>(source_.last) - static_cast<std::uint64_t>(source_.first)) return false;
      encode(static_cast<T>(source_.first + static_cast<T>(index)), payload);
      return true;
    } else if constexpr (is_generated) {
      if (index >= source_.count) return false;
      encode(static_cast<T>(source_.make(index)), payload);
      return true;
    } else {
      return false;
    }
  }
  bool next(std::string& payload) override {
    payload.clear();
    if constexpr (std::is_same_v<S, range<T>>) {
      const std::uint64_t offset = index_++;
      if (offset >= static_cast<std::uint64_t>(source_.last) - static_cast<std::uint64_t>(source_.first)) return false;
      encode(static_cast<T>(source_.first + static_cast<T>(offset)), payload);
      return true;
    } else if constexpr (is_generated) {
      if (index_ == source_.count) return false;
      encode(static_cast<T>(source_.make(index_++)), payload);
      return true;
    } else if constexpr (is_iterable<S>::value) {
      if (!started_) {
        it_.emplace(std::begin(source_));
        started_ = true;
      }
      if (*it_ == std::end(source_)) return false;
      encode(static_cast<T>(**it_), payload);
      ++*it_;
      return true;
    } else {
      std::optional<T> value = source_();
      if (!value) return false;
      encode(*value, payload);
      return true;
    }
  }

 private:
  template <class X>
  struct generated_check : std::false_type {};
  template <class F>
  struct generated_check<generated<F>> : std::true_type {};
  static constexpr bool is_generated = generated_check<S>::value;
  // Tasks computed from their index, numbers whose codec is their bytes: fed in runs.
  static constexpr bool numbers_by_index = (std::is_same_v<S, range<T>> || is_generated) && std::is_arithmetic_v<T>;
  T at_index(std::uint64_t index) {
    if constexpr (std::is_same_v<S, range<T>>) return static_cast<T>(source_.first + static_cast<T>(index));
    else if constexpr (is_generated) return static_cast<T>(source_.make(index));
    else return T{};
  }
  /// Whether codec<T> writes a number as its bytes (a user may have specialised it).
  static bool raw_codec() {
    static const bool raw = [] {
      const T probe = static_cast<T>(1);
      std::string encoded;
      codec<T>::encode(probe, encoded);
      return encoded.size() == sizeof probe && std::memcmp(encoded.data(), &probe, sizeof probe) == 0;
    }();
    return raw;
  }
  template <class X, bool = is_iterable<X>::value>
  struct iterator_of {
    using type = int;
  };
  template <class X>
  struct iterator_of<X, true> {
    using type = decltype(std::begin(std::declval<X&>()));
  };
  using iterator = typename iterator_of<std::remove_reference_t<Stored>>::type;  // const_iterator for a const source

  Stored source_;
  std::uint64_t index_ = 0;
  bool started_ = false;
  std::optional<iterator> it_;
};

}  // namespace taskfarm::detail
