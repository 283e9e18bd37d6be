// Every kernel form of the library, each giving the same lines: "n<TAB>v(n)" for the nodes
// n of a binary tree of --nodes nodes (node n's children are 2n+1 and 2n+2). A form that
// can submit starts from the root and submits each node's children; the others are given
// every node by the source. With --fold, the forms that return a value fold v(n) into one
// sum instead. A group form computes v(n) across its group (an Allreduce of the leader's
// value) and fails a task whose group is not --ranks-per-task ranks.
//   --form: plain, task, task_lines; 0.3's group, submit, group_submit, out, group_out,
//   out_submit, group_out_submit.
#include <taskfarm/taskfarm.hpp>

#include <cstdint>
#include <cstdio>
#include <string>
#include <type_traits>
#include <vector>

namespace {

using Node = std::uint64_t;
std::uint64_t value(Node n) { return n * n % 1000003; }

struct Settings {
  std::uint64_t nodes = 1000;
  std::uint32_t ranks_per_task = 1;
};

/// v(n), computed by the group: the leader's value reaches every rank.
std::uint64_t group_value(Node n, const taskfarm::Group& g, const Settings& s) {
  if (static_cast<std::uint32_t>(g.size()) != s.ranks_per_task)
    throw taskfarm::PermanentError("a group of " + std::to_string(g.size()) + " ranks");
  std::uint64_t mine = g.rank() == 0 ? value(n) : 0, all = 0;
  MPI_Allreduce(&mine, &all, 1, MPI_UINT64_T, MPI_SUM, g.comm());
  return all;
}

template <class Submit>
void children(Node n, const Settings& s, Submit&& submit) {
  for (Node c : {2 * n + 1, 2 * n + 2})
    if (c < s.nodes) submit(c);
}

template <class Kernel>
int run(taskfarm::App& app, bool submits, bool fold, const Settings& s, Kernel kernel) {
  std::vector<Node> source;
  if (submits) source.push_back(0);
  else
    for (Node n = 0; n < s.nodes; ++n) source.push_back(n);
  if constexpr (std::is_invocable_r_v<std::uint64_t, Kernel&, Node, taskfarm::Task<Node>&> ||
                std::is_invocable_r_v<std::uint64_t, Kernel&, Node> ||
                std::is_invocable_r_v<std::uint64_t, Kernel&, Node, const taskfarm::Group&> ||
                std::is_invocable_r_v<std::uint64_t, Kernel&, Node, taskfarm::Submit<Node>&> ||
                std::is_invocable_r_v<std::uint64_t, Kernel&, Node, const taskfarm::Group&, taskfarm::Submit<Node>&>) {
    if (fold) return app.run(source, kernel, taskfarm::fold<std::uint64_t>(0));
  }
  return app.run(source, kernel);
}

int run_form(taskfarm::App& app, const std::string& form, bool fold, const Settings& s) {
  using taskfarm::Group;
  using taskfarm::Out;
  using taskfarm::Submit;
  using taskfarm::Task;
  auto line = [](Out& out, Node n, std::uint64_t v) { out << n << '\t' << v << '\n'; };
  if (form == "plain") return run(app, false, fold, s, [](Node n) { return value(n); });
  if (form == "task")
    return run(app, true, fold, s, [&](Node n, Task<Node>& t) {
      children(n, s, [&](Node c) { t.submit(c); });
      return group_value(n, t.group(), s);
    });
  if (form == "task_lines")
    return run(app, true, fold, s, [&](Node n, Task<Node>& t) {
      children(n, s, [&](Node c) { t.submit(c); });
      const std::uint64_t v = group_value(n, t.group(), s);
      if (t.group().rank() == 0) line(t.out(), n, v);
    });
  if (form == "group") return run(app, false, fold, s, [&](Node n, const Group& g) { return group_value(n, g, s); });
  if (form == "submit")
    return run(app, true, fold, s, [&](Node n, Submit<Node>& submit) {
      children(n, s, submit);
      return value(n);
    });
  if (form == "group_submit")
    return run(app, true, fold, s, [&](Node n, const Group& g, Submit<Node>& submit) {
      children(n, s, submit);
      return group_value(n, g, s);
    });
  if (form == "out") return run(app, false, fold, s, [&](Node n, Out& out) { line(out, n, value(n)); });
  if (form == "group_out")
    return run(app, false, fold, s, [&](Node n, const Group& g, Out& out) {
      const std::uint64_t v = group_value(n, g, s);
      if (g.rank() == 0) line(out, n, v);
    });
  if (form == "out_submit")
    return run(app, true, fold, s, [&](Node n, Out& out, Submit<Node>& submit) {
      children(n, s, submit);
      line(out, n, value(n));
    });
  if (form == "group_out_submit")
    return run(app, true, fold, s, [&](Node n, const Group& g, Out& out, Submit<Node>& submit) {
      children(n, s, submit);
      const std::uint64_t v = group_value(n, g, s);
      if (g.rank() == 0) line(out, n, v);
    });
  throw taskfarm::UsageError("--form: no form '" + form + "'");
}

}  // namespace

int main(int argc, char** argv) {
  taskfarm::App app(argc, argv, "forms_check: every kernel form on one tree");
  Settings s;
  std::string form = "plain";
  bool fold = false;
  app.option("--nodes", s.nodes, "nodes of the tree");
  app.option("--form", form, "the kernel form");
  app.option("--fold", fold, "fold the values into their sum (forms that return a value)");
  app.option("--expect-ranks-per-task", s.ranks_per_task, "the group size the group forms must see");
  try {
    return run_form(app, form, fold, s);
  } catch (const taskfarm::UsageError& e) {
    if (app.rank() == 0) std::fprintf(stderr, "forms_check: %s\n", e.what());
    return 2;
  }
}
