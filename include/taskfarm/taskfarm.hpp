#pragma once
/// @file
/// taskfarm's public API: farm your own C++ function over MPI ranks.
///
/// A standalone program:
/// @code
/// #include <taskfarm/taskfarm.hpp>
/// int main(int argc, char** argv) {
///   taskfarm::App app(argc, argv, "collatz: steps to reach 1");
///   std::uint64_t n = 1000;
///   app.option("--n", n, "largest start value");
///   return app.run(taskfarm::range<std::uint64_t>(1, n + 1), [](std::uint64_t x) { return collatz_steps(x); });
/// }
/// @endcode
/// Rank 0 is the master: only it reads the source. Every other rank runs the kernel. The
/// engine's options (--output, --resume, --batch, ...) work as in the taskfarm program.
///
/// This header includes only the standard library and `<mpi.h>`.

#include <mpi.h>

#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "taskfarm/codec.hpp"
#include "taskfarm/error.hpp"

namespace taskfarm {

/// The engine's options, for an embedded Farm. The same as the program's flags.
struct Options {
  std::string name = "farm";            ///< the run's name: report "job", and the resume identity
  std::optional<std::string> output;    ///< --output DIR: part files, journal, DIR/result
  bool overwrite = false;               ///< --overwrite
  bool resume = false;                  ///< --resume (needs output)
  std::optional<std::string> report;    ///< --report FILE: the JSON report
  std::uint32_t retries = 2;            ///< --retries
  bool halt_on_error = false;           ///< --halt-on-error
  double task_timeout_s = 0;            ///< --task-timeout (0: none)
  double result_timeout_s = 0;          ///< --result-timeout (0: none)
  double grace_s = 20;                  ///< --grace
  std::uint32_t batch = 0;              ///< --batch N (0: auto)
  int window = 1024;                    ///< --window
  std::string progress = "none";        ///< --progress: none, bar, log or auto
  double progress_interval_s = 30;      ///< --progress-interval
  bool verbose = false;                 ///< -v
};

/// What a run did: the fields of the JSON report that a program most often needs. Only
/// the communicator's rank 0 has them; other ranks get `exit_code` and `on_root == false`.
struct Report {
  bool on_root = false;         ///< whether this rank is the communicator's rank 0 (the only one with the figures)
  int exit_code = 0;            ///< the program's exit codes: 0 done, 1 tasks failed, 2 usage, 3 incomplete, 4 error
  std::string status;           ///< "complete", "failed", "incomplete", or empty when nothing ran
  std::uint64_t tasks_total = 0;   ///< tasks the source produced
  std::uint64_t tasks_done = 0;    ///< tasks that succeeded in this run
  std::uint64_t tasks_failed = 0;  ///< tasks that failed every attempt
  std::uint64_t tasks_resumed = 0;  ///< done by an earlier run (resume), not run again
  double elapsed_s = 0;            ///< wall-clock seconds of the run
  int ranks = 0;                   ///< ranks in the communicator
  int workers = 0;                 ///< ranks that ran tasks (0: rank 0 ran them itself)
  std::string stop_reason;          ///< why an incomplete run stopped
  std::optional<std::string> result;  ///< a fold's value as printed
  std::vector<std::uint64_t> failed_tasks;  ///< IDs (positions in the source) of failed tasks
  std::string json;                 ///< the whole JSON report
};

namespace detail {

template <class V, class = void>
struct is_printable : std::false_type {};
template <class V>
struct is_printable<V, std::void_t<decltype(std::declval<std::ostream&>() << std::declval<const V&>())>>
    : std::true_type {};

/// Appends `value` as `std::ostream << value` would print it (fast paths for numbers).
template <class V>
void print(std::string& out, const V& value) {
  if constexpr (std::is_same_v<V, bool>) {
    out.push_back(value ? '1' : '0');
  } else if constexpr (std::is_same_v<V, char> || std::is_same_v<V, signed char> || std::is_same_v<V, unsigned char>) {
    out.push_back(static_cast<char>(value));
  } else if constexpr (std::is_integral_v<V>) {
    char buf[24];
    const auto end = std::to_chars(buf, buf + sizeof buf, value).ptr;
    out.append(buf, static_cast<std::size_t>(end - buf));
  } else if constexpr (std::is_floating_point_v<V>) {
    char buf[64];  // %g with 6 digits: what an ostream prints by default
    const auto end = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::general, 6).ptr;
    out.append(buf, static_cast<std::size_t>(end - buf));
  } else if constexpr (std::is_convertible_v<const V&, std::string_view>) {
    out.append(std::string_view(value));
  } else {
    static_assert(is_printable<V>::value,
                  "taskfarm: this value has no operator<<, so it cannot be printed: give it one, or write the "
                  "lines yourself with a kernel void(const T&, taskfarm::Out&)");
    std::ostringstream text;
    text << value;
    out.append(text.str());
  }
}

template <class T, class K>
class LineKernel;

}  // namespace detail

/// Where a kernel `void kernel(const T&, taskfarm::Out& out)` writes its own lines:
/// `out << a << ' ' << b << '\n'` works like an ostream. Write whole lines.
class Out {
 public:
  /// Appends to `buffer` (the engine's output buffer for the task), at the latest when
  /// the Out goes away.
  explicit Out(std::string& buffer) : buffer_(buffer), exceptions_(std::uncaught_exceptions()) {}
  Out(const Out&) = delete;
  Out& operator=(const Out&) = delete;
  // Not while a kernel's exception unwinds: that task's output is dropped anyway.
  ~Out() noexcept(false) {
    if (exceptions_ != engine_flushes && std::uncaught_exceptions() == exceptions_) flush();
  }
  /// Appends `value` as `std::ostream << value` would print it.
  template <class V>
  Out& operator<<(const V& value) {
    if constexpr (std::is_same_v<V, bool>) {
      put(value ? '1' : '0');
    } else if constexpr (std::is_same_v<V, char> || std::is_same_v<V, signed char> ||
                         std::is_same_v<V, unsigned char>) {
      put(static_cast<char>(value));
    } else if constexpr (std::is_integral_v<V>) {
      room(24);
      used_ = static_cast<std::size_t>(std::to_chars(stage_ + used_, stage_ + sizeof stage_, value).ptr - stage_);
    } else if constexpr (std::is_floating_point_v<V>) {
      room(64);  // %g with 6 digits: what an ostream prints by default
      used_ = static_cast<std::size_t>(
          std::to_chars(stage_ + used_, stage_ + sizeof stage_, value, std::chars_format::general, 6).ptr - stage_);
    } else if constexpr (std::is_convertible_v<const V&, std::string_view>) {
      write(std::string_view(value));
    } else {
      flush();
      detail::print(buffer_, value);
    }
    return *this;
  }
  /// Appends bytes as they are.
  Out& write(std::string_view bytes) {
    room(bytes.size());
    if (bytes.size() > sizeof stage_) {
      buffer_.append(bytes);
    } else {
      std::memcpy(stage_ + used_, bytes.data(), bytes.size());
      used_ += bytes.size();
    }
    return *this;
  }

 private:
  // Small pieces are staged here and reach the buffer in one append: a line of a few
  // numbers then costs one append, not one per piece.
  void put(char c) {
    room(1);
    stage_[used_++] = c;
  }
  void room(std::size_t n) {
    if (sizeof stage_ - used_ < n) flush();
  }
  void flush() {
    buffer_.append(stage_, used_);
    used_ = 0;
  }
  // The engine's own Out is flushed after the kernel returns, not in the destructor: two
  // std::uncaught_exceptions() calls (thread-local lookups) per task are worth saving.
  template <class T, class K>
  friend class detail::LineKernel;
  static constexpr int engine_flushes = -1;
  Out(std::string& buffer, int exceptions) : buffer_(buffer), exceptions_(exceptions) {}

  std::string& buffer_;
  int exceptions_;
  std::size_t used_ = 0;
  char stage_[256];
};

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

/// Folds every result into one value with `op`, starting from `init`. `op` must be
/// associative and commutative: each worker folds its own results, and rank 0 folds
/// the workers' values.
template <class V, class Op = std::plus<>>
struct fold {
  /// Starts from `init_value` (counted once) and combines with `operation`.
  fold(V init_value, Op operation = Op{}) : init(std::move(init_value)), op(std::move(operation)) {}
  V init;  ///< the initial value
  Op op;   ///< the combining operation, V op(V, V)
};

namespace detail {

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
};

/// Worker side: runs one task from its payload and appends its output.
class TaskKernel {
 public:
  virtual ~TaskKernel() = default;
  virtual void run(std::string_view payload, std::string& out) = 0;
  /// After a batch, on a rank with a part file: a fold appends its partial value.
  virtual void end_batch(std::string& /*out*/) {}
  /// A task as text (-v narration, the _failed file).
  virtual std::string describe(std::string_view payload) const = 0;
  /// Folds: combine per batch into part-file records (true) or send each result (false).
  void fold_in_batches(bool on) { fold_in_batches_ = on; }

 protected:
  bool fold_in_batches_ = false;
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
  RootSide* root = nullptr;
  std::unique_ptr<RootSide> owned_root;  ///< the root side, when the Work owns it (App)
};

/// The taskfarm program's access to an App that hosts one of its built-in jobs.
struct AppAccess;
/// Marks the App constructor the taskfarm program uses for its built-in jobs.
struct Hosted {};

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

// ---- kernels ---------------------------------------------------------------------

template <class T>
std::string describe_task(std::string_view payload) {
  if constexpr (is_printable<T>::value || std::is_arithmetic_v<T>) {
    std::string text;
    print(text, decode<T>(payload));
    return text;
  } else {
    return "(a task without operator<<)";
  }
}

template <class T, class K>
constexpr bool writes_lines = std::is_invocable_v<K&, const T&, Out&>;

template <class T, class K, class = void>
struct result_of {
  using type = void;
};
template <class T, class K>
struct result_of<T, K, std::enable_if_t<std::is_invocable_v<K&, const T&>>> {
  using type = std::decay_t<std::invoke_result_t<K&, const T&>>;
};

template <class T, class K>
void check_kernel() {
  static_assert(std::is_invocable_v<K&, const T&> || writes_lines<T, K>,
                "taskfarm: the kernel must be callable as R kernel(const T&) or void kernel(const T&, taskfarm::Out&), "
                "T being the source's task type");
}

/// R kernel(const T&) printing "task<TAB>result", or void kernel(const T&, Out&).
template <class T, class K>
class LineKernel final : public TaskKernel {
 public:
  explicit LineKernel(K kernel) : kernel_(std::move(kernel)) {}
  void run(std::string_view payload, std::string& out) override {
    const T task = decode<T>(payload);
    if constexpr (writes_lines<T, K>) {
      Out lines(out, Out::engine_flushes);
      kernel_(task, lines);
      lines.flush();  // not if the kernel throws: that task's output is dropped
    } else {
      using R = typename result_of<T, K>::type;
      static_assert(!std::is_void_v<R>, "taskfarm: a kernel R kernel(const T&) must return its result");
      const R result = kernel_(task);
      print(out, task);
      out.push_back('\t');
      print(out, result);
      out.push_back('\n');
    }
  }
  std::string describe(std::string_view payload) const override { return describe_task<T>(payload); }

 private:
  K kernel_;
};

/// Sends (task, result) to rank 0's sink.
template <class T, class K>
class ToRootKernel final : public TaskKernel {
 public:
  using R = typename result_of<T, K>::type;
  explicit ToRootKernel(K kernel) : kernel_(std::move(kernel)) {}
  void run(std::string_view payload, std::string& out) override {
    std::string_view in = payload;
    const T task = decode<T>(in);
    const R result = kernel_(task);
    out.append(payload);
    encode(result, out);
  }
  std::string describe(std::string_view payload) const override { return describe_task<T>(payload); }

 private:
  K kernel_;
};

template <class T, class R, class Sink>
class SinkRoot final : public RootSide {
 public:
  explicit SinkRoot(Sink& sink) : sink_(sink) {}
  void deliver(std::string_view data) override {
    const T task = decode<T>(data);
    const R result = decode<R>(data);
    sink_(task, result);
  }
  void add_partial(std::string_view) override {}
  std::string value_text() const override { return {}; }

 private:
  Sink& sink_;
};

/// Folds results: per batch into a partial value (written to the part file), or each
/// result sent to rank 0.
template <class T, class K, class V, class Op>
class FoldKernel final : public TaskKernel {
 public:
  FoldKernel(K kernel, Op op) : kernel_(std::move(kernel)), op_(std::move(op)) {}
  void run(std::string_view payload, std::string& out) override {
    const T task = decode<T>(payload);
    V result = kernel_(task);
    if (!fold_in_batches_) {
      encode(result, out);
      return;
    }
    partial_ = partial_ ? V(op_(std::move(*partial_), std::move(result))) : std::move(result);
  }
  void end_batch(std::string& out) override {
    if (!partial_) return;
    std::string encoded;
    encode(*partial_, encoded);
    encode(static_cast<std::uint64_t>(encoded.size()), out);
    out.append(encoded);
    partial_.reset();
  }
  std::string describe(std::string_view payload) const override { return describe_task<T>(payload); }

 private:
  K kernel_;
  Op op_;
  std::optional<V> partial_;
};

template <class V, class Op>
class FoldRoot final : public RootSide {
 public:
  explicit FoldRoot(fold<V, Op> f) : value(std::move(f.init)), op_(std::move(f.op)) {}
  void deliver(std::string_view data) override { value = V(op_(std::move(value), decode<V>(data))); }
  void add_partial(std::string_view encoded) override { deliver(encoded); }
  std::string value_text() const override {
    std::string text;
    print(text, value);
    return text;
  }
  V value;

 private:
  Op op_;
};

template <class S>
std::unique_ptr<TaskStream> make_stream(S&& source) {
  static_assert(source_traits<std::decay_t<S>>::valid,
                "taskfarm: the source must be a taskfarm::range, taskfarm::generate(count, f), a range or container "
                "that can be iterated, or a callable returning std::optional<T>");
  return std::make_unique<SourceStream<S>>(std::forward<S>(source));
}

template <class S, class K>
Work line_work(S&& source, K&& kernel) {
  using T = task_of<S>;
  check_kernel<T, std::decay_t<K>>();
  Work work;
  work.stream = make_stream(std::forward<S>(source));
  work.kernel = std::make_unique<LineKernel<T, std::decay_t<K>>>(std::forward<K>(kernel));
  return work;
}

template <class S, class K, class V, class Op>
Work fold_work(S&& source, K&& kernel, FoldRoot<V, Op>& root, Op op) {
  using T = task_of<S>;
  static_assert(std::is_invocable_v<std::decay_t<K>&, const T&>,
                "taskfarm: a fold's kernel must be callable as R kernel(const T&)");
  Work work;
  work.shape = Shape::fold;
  work.stream = make_stream(std::forward<S>(source));
  work.kernel = std::make_unique<FoldKernel<T, std::decay_t<K>, V, Op>>(std::forward<K>(kernel), std::move(op));
  work.root = &root;
  return work;
}

/// One user option of an App.
struct OptionSpec {
  std::string name;
  std::string help;
  bool is_flag = false;
  std::function<std::string(const std::string&)> assign;  ///< parses into the variable; an error or ""
  std::function<std::string(const std::string&)> check;   ///< parses into a scratch value; an error or ""
  std::function<std::string()> current;                   ///< the variable's value as text
  std::string type_name;                                  ///< INT, UINT, NUM or TEXT, for --help
};

template <class V>
std::string parse_option(const std::string& text, V& value) {
  if constexpr (std::is_same_v<V, bool>) {
    if (text == "true" || text == "1" || text == "yes" || text == "on") value = true;
    else if (text == "false" || text == "0" || text == "no" || text == "off") value = false;
    else return "expected true or false, got '" + text + "'";
  } else if constexpr (std::is_integral_v<V>) {
    V parsed{};
    const char* first = text.data();
    const char* last = first + text.size();
    const auto [end, ec] = std::from_chars(first, last, parsed);
    if (ec != std::errc() || end != last || text.empty())
      return std::string(std::is_unsigned_v<V> ? "expected a non-negative integer" : "expected an integer") +
             ", got '" + text + "'";
    value = parsed;
  } else if constexpr (std::is_floating_point_v<V>) {
    char* end = nullptr;
    const double parsed = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0') return "expected a number, got '" + text + "'";
    value = static_cast<V>(parsed);
  } else {
    static_assert(std::is_same_v<V, std::string>, "taskfarm::App::option: integers, floating, std::string or bool");
    value = text;
  }
  return {};
}

template <class V>
std::string option_text(const V& value) {
  std::string text;
  print(text, value);
  return text;
}

}  // namespace detail

/// The task a kernel is running: its ID (its position in the source, from 0) and its
/// attempt (0 for the first; retries count up).
struct TaskInfo {
  std::uint64_t id = 0;       ///< position in the source, from 0
  std::uint32_t attempt = 0;  ///< 0 for the first attempt, then 1, 2, ... (--retries)
};
/// Called from a kernel: the task it is running.
TaskInfo this_task();
/// With -v (--verbose), writes `text` as a timestamped line on stderr; otherwise nothing.
void narrate(std::string_view text);
/// Whether -v was given (to skip building narration nobody reads).
bool narrating();

/// A standalone farm program: its command line (the user's options and the engine's),
/// MPI start-up and shut-down, and the run.
class App {
 public:
  /// Initialises MPI if nobody has (and then finalises it when the App ends).
  App(int argc, char** argv, std::string description);
  /// The taskfarm program's built-in jobs: `args` without the program and job names; MPI
  /// is the program's. run() prepares the job and returns without running it.
  App(detail::Hosted, std::vector<std::string> args, std::string job, std::string description);
  App(const App&) = delete;
  App& operator=(const App&) = delete;
  ~App();

  /// Declares `--name VALUE` (a flag for bool) and assigns it from argv at once, so the
  /// next line can use it. Errors (a bad value, a name that clashes with an engine
  /// option) are reported by run(), with --help, once every option is known.
  template <class V>
  App& option(const std::string& name, V& value, const std::string& help) {
    detail::OptionSpec spec;
    spec.name = name;
    spec.help = help;
    spec.is_flag = std::is_same_v<V, bool>;
    spec.assign = [&value](const std::string& text) { return detail::parse_option(text, value); };
    spec.check = [](const std::string& text) {
      V scratch{};
      return detail::parse_option(text, scratch);
    };
    spec.current = [&value] { return detail::option_text(value); };
    spec.type_name = std::is_floating_point_v<V> ? "NUM" : std::is_unsigned_v<V> ? "UINT" : std::is_integral_v<V> ? "INT" : "TEXT";
    add_option(std::move(spec));
    return *this;
  }

  /// Runs `kernel` on every task of `source` and returns the exit code (0 all done, 1 some
  /// tasks failed, 2 usage error, 3 incomplete, 4 runtime error). Each result becomes a
  /// line "task<TAB>result" (R kernel(const T&)), or the kernel writes its own lines
  /// (void kernel(const T&, taskfarm::Out&)); on stdout, or in part files with --output.
  template <class Source, class Kernel>
  int run(Source&& source, Kernel&& kernel) {
    detail::Work work = detail::line_work(std::forward<Source>(source), std::forward<Kernel>(kernel));
    return run_work(work);
  }

  /// Folds every result into one value, printed alone as the last line on stdout (and
  /// written to DIR/result with --output).
  template <class Source, class Kernel, class V, class Op>
  int run(Source&& source, Kernel&& kernel, fold<V, Op> folding) {
    Op op = folding.op;
    auto root = std::make_unique<detail::FoldRoot<V, Op>>(std::move(folding));
    detail::Work work = detail::fold_work(std::forward<Source>(source), std::forward<Kernel>(kernel), *root, std::move(op));
    work.owned_root = std::move(root);
    return run_work(work);
  }

  /// This process's rank in MPI_COMM_WORLD (0 is the master).
  int rank() const;
  /// The number of ranks in MPI_COMM_WORLD.
  int size() const;

 private:
  friend struct detail::AppAccess;
  struct State;
  void add_option(detail::OptionSpec spec);
  int run_work(detail::Work& work);
  std::unique_ptr<State> state_;
};

/// A farm inside an MPI program that already exists: the caller owns MPI (and its
/// signals: a Farm installs no signal handlers). The communicator's rank 0 is the master;
/// map() is collective over it.
class Farm {
 public:
  /// Collective over `comm`, which it duplicates. Throws taskfarm::UsageError before
  /// MPI_Init.
  explicit Farm(MPI_Comm comm, Options options = {});
  Farm(const Farm&) = delete;
  Farm& operator=(const Farm&) = delete;
  ~Farm();

  /// The engine options the next map() uses.
  Options& options() { return options_; }
  /// This process's rank in the farm's communicator (0 is the master).
  int rank() const;
  /// The number of ranks in the farm's communicator.
  int size() const;

  /// Lines "task<TAB>result" (or the kernel's own lines) to rank 0's stdout, or to part
  /// files with options().output.
  template <class Source, class Kernel>
  Report map(Source&& source, Kernel&& kernel) {
    detail::Work work = detail::line_work(std::forward<Source>(source), std::forward<Kernel>(kernel));
    return run_work(work);
  }

  /// Calls `sink(task, result)` on rank 0 for every result, in the order they arrive.
  template <class Source, class Kernel, class Sink>
  Report map(Source&& source, Kernel&& kernel, Sink&& sink) {
    using T = detail::task_of<Source>;
    detail::check_kernel<T, std::decay_t<Kernel>>();
    using R = typename detail::result_of<T, std::decay_t<Kernel>>::type;
    static_assert(std::is_invocable_v<Sink&, const T&, const R&>, "taskfarm: the sink must be callable as sink(const T&, const R&)");
    detail::SinkRoot<T, R, std::remove_reference_t<Sink>> root(sink);
    detail::Work work;
    work.shape = detail::Shape::to_root;
    work.stream = detail::make_stream(std::forward<Source>(source));
    work.kernel = std::make_unique<detail::ToRootKernel<T, std::decay_t<Kernel>>>(std::forward<Kernel>(kernel));
    work.root = &root;
    return run_work(work);
  }

  /// Folds every result; returns the value on rank 0 (the initial value elsewhere, and
  /// for a run that did not complete: see last_report()).
  template <class Source, class Kernel, class V, class Op>
  V map(Source&& source, Kernel&& kernel, fold<V, Op> folding) {
    Op op = folding.op;
    detail::FoldRoot<V, Op> root(folding);
    detail::Work work = detail::fold_work(std::forward<Source>(source), std::forward<Kernel>(kernel), root, std::move(op));
    last_report_ = run_work(work);
    return last_report_.status == "complete" ? root.value : folding.init;
  }

  /// The report of the last map().
  const Report& last_report() const { return last_report_; }

 private:
  Report run_work(detail::Work& work);
  Options options_;
  MPI_Comm comm_ = MPI_COMM_NULL;
  Report last_report_;
};

}  // namespace taskfarm
