#pragma once
/// @file
/// Typed kernels and folds on the type-erased work (part of taskfarm.hpp).

#include <memory>
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
#include "taskfarm/task.hpp"

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

/// The kernel forms, named in this one place. The first that fits is the one called.
enum class Form {
  none,
  plain,             ///< R kernel(const T&)
  task,              ///< R kernel(const T&, Task<T>&), or void: lines through task.out()
  // 0.3's forms, adapters onto Task<T> (deprecated in the docs):
  group,             ///< R kernel(const T&, const Group&)
  submit,            ///< R kernel(const T&, Submit<T>&)
  group_submit,      ///< R kernel(const T&, const Group&, Submit<T>&)
  out,               ///< void kernel(const T&, Out&)
  group_out,         ///< void kernel(const T&, const Group&, Out&)
  out_submit,        ///< void kernel(const T&, Out&, Submit<T>&)
  group_out_submit,  ///< void kernel(const T&, const Group&, Out&, Submit<T>&)
};

template <class T, class K>
constexpr Form form_of() {
  if constexpr (callable_as<K, const T&>) return Form::plain;
  else if constexpr (callable_as<K, const T&, Task<T>&>) return Form::task;
  else if constexpr (callable_as<K, const T&, const Group&>) return Form::group;
  else if constexpr (callable_as<K, const T&, Submit<T>&>) return Form::submit;
  else if constexpr (callable_as<K, const T&, const Group&, Submit<T>&>) return Form::group_submit;
  else if constexpr (callable_as<K, const T&, Out&>) return Form::out;
  else if constexpr (callable_as<K, const T&, const Group&, Out&>) return Form::group_out;
  else if constexpr (callable_as<K, const T&, Out&, Submit<T>&>) return Form::out_submit;
  else if constexpr (callable_as<K, const T&, const Group&, Out&, Submit<T>&>) return Form::group_out_submit;
  else return Form::none;
}

/// How the engine calls a kernel K on tasks of type T: its form, what it gives, and the
/// call itself.
template <class T, class K>
struct KernelCall {
  static constexpr Form form = form_of<T, K>();
  static constexpr bool out_form =
      form == Form::out || form == Form::group_out || form == Form::out_submit || form == Form::group_out_submit;

  /// The form's own call, given the task's context (the 0.3 forms take its parts).
  static decltype(auto) invoke(K& kernel, const T& task, Task<T>& context) {
    if constexpr (form == Form::plain) return kernel(task);
    else if constexpr (form == Form::task) return kernel(task, context);
    else if constexpr (form == Form::group) return kernel(task, context.group());
    else if constexpr (form == Form::out) return kernel(task, context.out());
    else if constexpr (form == Form::group_out) return kernel(task, context.group(), context.out());
    else {
      Submit<T> submit(context);
      if constexpr (form == Form::submit) return kernel(task, submit);
      else if constexpr (form == Form::group_submit) return kernel(task, context.group(), submit);
      else if constexpr (form == Form::out_submit) return kernel(task, context.out(), submit);
      else return kernel(task, context.group(), context.out(), submit);
    }
  }

  using invoked = std::decay_t<decltype(invoke(std::declval<K&>(), std::declval<const T&>(), std::declval<Task<T>&>()))>;
  /// Kernels that write lines (the Out forms, and a Task form returning void) give nothing.
  static constexpr bool writes_lines = out_form || (form == Form::task && std::is_void_v<invoked>);
  static constexpr bool returns = !writes_lines && form != Form::none;
  using result = std::conditional_t<writes_lines, void, invoked>;
  /// Whether its tasks may submit tasks: the engine then keeps a frontier.
  static constexpr bool submits = form == Form::task || form == Form::submit || form == Form::group_submit ||
                                  form == Form::out_submit || form == Form::group_out_submit;

  /// Runs the kernel on one task; returns its result (nothing for kernels that write lines).
  static result call(K& kernel, const T& task, TaskContext& context) {
    if constexpr (form == Form::plain) {
      return kernel(task);
    } else {  // (LineKernel runs the Out form itself, without a Task: its hot path)
      Task<T> view(context);
      if constexpr (writes_lines) {
        invoke(kernel, task, view);
        view.finish();
      } else {
        result value = invoke(kernel, task, view);
        view.finish();
        return value;
      }
    }
  }
};

template <class T, class K>
void check_kernel() {
  static_assert(KernelCall<T, K>::form != Form::none,
                "taskfarm: the kernel must be callable as R kernel(const T&), R kernel(const T&, taskfarm::Task<T>&) "
                "or void kernel(const T&, taskfarm::Task<T>&), T being the source's task type");
  static_assert(KernelCall<T, K>::writes_lines || !std::is_void_v<typename KernelCall<T, K>::result>,
                "taskfarm: a kernel R kernel(const T&) must return its result");
}

template <class T, class K>
void check_returns() {
  static_assert(KernelCall<T, K>::returns,
                "taskfarm: this kernel must return its result: R kernel(const T&) or R kernel(const T&, "
                "taskfarm::Task<T>&)");
  check_kernel<T, K>();
}

template <class K, class = void>
struct has_counts : std::false_type {};
template <class K>
struct has_counts<K, std::void_t<decltype(std::declval<const K&>().counts())>> : std::true_type {};

/// R kernel(...) printing "task<TAB>result", or a kernel writing its own lines. A kernel
/// object with `KernelCounts counts() const` (the taskfarm program's walk) reports them.
template <class T, class K>
class LineKernel final : public TaskKernel {
 public:
  explicit LineKernel(K kernel) : kernel_(std::move(kernel)) {}
  KernelCounts counts() const override {
    if constexpr (has_counts<K>::value) return kernel_.counts();
    else return {};
  }
  void run(TaskContext& context) override {
    const T task = decode<T>(context.payload);
    if constexpr (KernelCall<T, K>::form == Form::out) {  // the hot path of line kernels, spelt out here:
      Out out(*context.out, detail::EngineFlushes{});     // the compiler then inlines the kernel's printing
      kernel_(task, out);
      out.flush();  // not if the kernel throws: that task's output is dropped
    } else if constexpr (KernelCall<T, K>::writes_lines) {
      KernelCall<T, K>::call(kernel_, task, context);
    } else {
      const auto result = KernelCall<T, K>::call(kernel_, task, context);
      std::string& out = *context.out;
      print(out, task);
      out.push_back('\t');
      print(out, result);
      out.push_back('\n');
    }
  }

 private:
  K kernel_;
};

/// Sends (task, result) to rank 0's sink.
template <class T, class K>
class ToRootKernel final : public TaskKernel {
 public:
  explicit ToRootKernel(K kernel) : kernel_(std::move(kernel)) {}
  void run(TaskContext& context) override {
    context.lines = false;  // the output is (task, result) records
    std::string_view in = context.payload;
    const T task = decode<T>(in);
    const auto result = KernelCall<T, K>::call(kernel_, task, context);
    context.out->append(context.payload);
    encode(result, *context.out);
  }

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

/// Folds results. Each result is encoded to the output as it comes; on a rank with a part
/// file, end_batch() then folds the batch's results into one partial value in place. A
/// failed attempt's result is thus taken back like any output, by the engine.
template <class T, class K, class V, class Op>
class FoldKernel final : public TaskKernel {
 public:
  FoldKernel(K kernel, Op op) : kernel_(std::move(kernel)), op_(std::move(op)) {}
  void run(TaskContext& context) override {
    context.lines = false;  // the output is encoded results
    const T task = decode<T>(context.payload);
    encode(V(KernelCall<T, K>::call(kernel_, task, context)), *context.out);
  }
  void end_batch(std::string& out, std::size_t from) override {
    if (from == out.size()) return;
    std::string_view results = std::string_view(out).substr(from);
    V partial = decode<V>(results);
    while (!results.empty()) partial = V(op_(std::move(partial), decode<V>(results)));
    out.resize(from);
    std::string encoded;
    encode(partial, encoded);
    encode(static_cast<std::uint64_t>(encoded.size()), out);
    out.append(encoded);
  }

 private:
  K kernel_;
  Op op_;
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

/// The work of a typed kernel K on the tasks of `source`, run through `adapter`.
template <class S, class K>
Work typed_work(S&& source, std::unique_ptr<TaskKernel> adapter, Shape shape = Shape::lines, RootSide* root = nullptr) {
  using T = task_of<S>;
  Work work;
  work.shape = shape;
  work.stream = make_stream(std::forward<S>(source));
  work.kernel = std::move(adapter);
  work.describe = &describe_task<T>;
  work.submits = KernelCall<T, K>::submits;
  work.root = root;
  return work;
}

template <class S, class K>
Work line_work(S&& source, K&& kernel) {
  using T = task_of<S>;
  using Kernel = std::decay_t<K>;
  check_kernel<T, Kernel>();
  return typed_work<S, Kernel>(std::forward<S>(source), std::make_unique<LineKernel<T, Kernel>>(std::forward<K>(kernel)));
}

template <class T, class R, class Sink, class S, class K>
Work to_root_work(S&& source, K&& kernel, SinkRoot<T, R, Sink>& root) {
  using Kernel = std::decay_t<K>;
  check_returns<T, Kernel>();
  return typed_work<S, Kernel>(std::forward<S>(source), std::make_unique<ToRootKernel<T, Kernel>>(std::forward<K>(kernel)),
                               Shape::to_root, &root);
}

template <class S, class K, class V, class Op>
Work fold_work(S&& source, K&& kernel, FoldRoot<V, Op>& root, Op op) {
  using T = task_of<S>;
  using Kernel = std::decay_t<K>;
  check_returns<T, Kernel>();
  return typed_work<S, Kernel>(std::forward<S>(source),
                               std::make_unique<FoldKernel<T, Kernel, V, Op>>(std::forward<K>(kernel), std::move(op)),
                               Shape::fold, &root);
}

}  // namespace taskfarm::detail
