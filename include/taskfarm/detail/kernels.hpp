#pragma once
/// @file
/// Typed kernels and folds on the type-erased work (part of taskfarm.hpp).

#include <memory>
#include <stdexcept>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "taskfarm/detail/print.hpp"
#include "taskfarm/detail/work.hpp"
#include "taskfarm/group.hpp"
#include "taskfarm/out.hpp"
#include "taskfarm/submit.hpp"

namespace taskfarm::detail {

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

template <class K, class... Args>
constexpr bool callable_as = std::is_invocable_v<K&, Args...>;

/// The kernel forms: the task, then the Group if any, then the Out if any, then the
/// Submit<T>& if any. The first form that fits is the one called.
template <class T, class K>
struct kernel_form {
  static constexpr bool plain = callable_as<K, const T&>;
  static constexpr bool group = callable_as<K, const T&, const Group&>;
  static constexpr bool submit = callable_as<K, const T&, Submit<T>&>;
  static constexpr bool group_submit = callable_as<K, const T&, const Group&, Submit<T>&>;
  static constexpr bool out = callable_as<K, const T&, Out&>;
  static constexpr bool group_out = callable_as<K, const T&, const Group&, Out&>;
  static constexpr bool out_submit = callable_as<K, const T&, Out&, Submit<T>&>;
  static constexpr bool group_out_submit = callable_as<K, const T&, const Group&, Out&, Submit<T>&>;
  static constexpr bool returns = plain || group || submit || group_submit;
  static constexpr bool writes_lines = !returns && (out || group_out || out_submit || group_out_submit);
  static constexpr bool submits = returns ? !plain && !group : !out && !group_out;
};

template <class T, class K>
constexpr bool writes_lines = kernel_form<T, K>::writes_lines;
template <class T, class K>
constexpr bool submits_tasks = kernel_form<T, K>::submits;

template <class T, class K, class = void>
struct result_of {
  using type = void;
};
template <class T, class K>
struct result_of<T, K, std::enable_if_t<kernel_form<T, K>::plain>> {
  using type = std::decay_t<std::invoke_result_t<K&, const T&>>;
};
template <class T, class K>
struct result_of<T, K, std::enable_if_t<!kernel_form<T, K>::plain && kernel_form<T, K>::group>> {
  using type = std::decay_t<std::invoke_result_t<K&, const T&, const Group&>>;
};
template <class T, class K>
struct result_of<T, K,
                 std::enable_if_t<!kernel_form<T, K>::plain && !kernel_form<T, K>::group && kernel_form<T, K>::submit>> {
  using type = std::decay_t<std::invoke_result_t<K&, const T&, Submit<T>&>>;
};
template <class T, class K>
struct result_of<T, K,
                 std::enable_if_t<!kernel_form<T, K>::plain && !kernel_form<T, K>::group && !kernel_form<T, K>::submit &&
                                  kernel_form<T, K>::group_submit>> {
  using type = std::decay_t<std::invoke_result_t<K&, const T&, const Group&, Submit<T>&>>;
};

/// Where a kernel's submissions go: the engine sets it on every rank that runs tasks.
inline Submissions& submissions_of(Submissions* to) {
  if (!to) throw std::logic_error("taskfarm: this kernel submits tasks, but the engine gave it nowhere to put them");
  return *to;
}

/// The kernel's result for `task`, in whichever of the forms returning one it has.
template <class T, class K>
std::decay_t<typename result_of<T, K>::type> call_kernel(K& kernel, const T& task, Submissions* to) {
  using F = kernel_form<T, K>;
  if constexpr (F::plain) {
    return kernel(task);
  } else if constexpr (F::group) {
    return kernel(task, current_group());
  } else {
    Submit<T> submit(submissions_of(to));
    if constexpr (F::submit) return kernel(task, submit);
    else return kernel(task, current_group(), submit);
  }
}

/// A kernel that writes its own lines, in whichever of those forms it has.
template <class T, class K>
void call_lines_kernel(K& kernel, const T& task, Out& out, Submissions* to) {
  using F = kernel_form<T, K>;
  if constexpr (F::out) {
    kernel(task, out);
  } else if constexpr (F::group_out) {
    kernel(task, current_group(), out);
  } else {
    Submit<T> submit(submissions_of(to));
    if constexpr (F::out_submit) kernel(task, out, submit);
    else kernel(task, current_group(), out, submit);
  }
}

template <class T, class K>
void check_kernel() {
  static_assert(kernel_form<T, K>::returns || kernel_form<T, K>::writes_lines,
                "taskfarm: the kernel must be callable as R kernel(const T&) or void kernel(const T&, taskfarm::Out&), "
                "with a const taskfarm::Group& after the task and a taskfarm::Submit<T>& last if it takes them, T being "
                "the source's task type");
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
      call_lines_kernel(kernel_, task, lines, submissions_);
      lines.flush();  // not if the kernel throws: that task's output is dropped
    } else {
      using R = typename result_of<T, K>::type;
      static_assert(!std::is_void_v<R>, "taskfarm: a kernel R kernel(const T&) must return its result");
      const R result = call_kernel(kernel_, task, submissions_);
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
    const R result = call_kernel(kernel_, task, submissions_);
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
    V result = call_kernel(kernel_, task, submissions_);
    if (!fold_in_batches_ || staged_) {
      encode(result, out);
      return;
    }
    add(std::move(result));
  }
  void commit(std::string_view staged, std::string& out) override {
    if (!fold_in_batches_) {
      out.append(staged);
      return;
    }
    add(decode<V>(staged));
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
  void add(V result) { partial_ = partial_ ? V(op_(std::move(*partial_), std::move(result))) : std::move(result); }
  K kernel_;
  Op op_;
  std::optional<V> partial_;
};

template <class V, class Op>
class FoldRoot final : public RootSide {
 public:
  explicit FoldRoot(Fold<V, Op> f) : value(std::move(f.init)), op_(std::move(f.op)) {}
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
  work.submits = submits_tasks<T, std::decay_t<K>>;
  return work;
}

template <class S, class K, class V, class Op>
Work fold_work(S&& source, K&& kernel, FoldRoot<V, Op>& root, Op op) {
  using T = task_of<S>;
  static_assert(kernel_form<T, std::decay_t<K>>::returns,
                "taskfarm: a fold's kernel must return its result: R kernel(const T&), with a const taskfarm::Group& "
                "after the task and a taskfarm::Submit<T>& last if it takes them");
  Work work;
  work.shape = Shape::fold;
  work.stream = make_stream(std::forward<S>(source));
  work.kernel = std::make_unique<FoldKernel<T, std::decay_t<K>, V, Op>>(std::forward<K>(kernel), std::move(op));
  work.submits = submits_tasks<T, std::decay_t<K>>;
  work.root = &root;
  return work;
}

}  // namespace taskfarm::detail
