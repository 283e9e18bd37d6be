// A program on the contract for tasks that submit tasks (tests/submit/submit_test.sh): a
// generated tree whose every node is a task that submits its children, run by the farm,
// and the same tree walked serially (--serial) as the oracle.
//
// Node k of the tree has a 64-bit key; the root's is --seed. A node at depth below --depth
// has 1 to 4 children (by a hash of its key); --wide A,B instead makes a root with A
// children that have B leaves each.
#include <taskfarm/taskfarm.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

struct Node {
  std::uint64_t key;
  std::uint32_t depth;
  std::uint32_t kind;  // 0: the generated tree; 1: --wide's root; 2: its children; 3: their leaves
};

std::uint64_t mix(std::uint64_t x) {  // splitmix64's finaliser
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

struct Shape {
  std::uint32_t depth = 10;
  std::uint64_t wide_children = 0;
  std::uint64_t wide_leaves = 0;
};

/// The children of `node`, in order.
void children(const Shape& shape, const Node& node, const std::function<void(const Node&)>& emit) {
  if (node.kind == 1) {
    for (std::uint64_t i = 0; i < shape.wide_children; ++i) emit(Node{mix(node.key + i), 1, 2});
  } else if (node.kind == 2) {
    for (std::uint64_t i = 0; i < shape.wide_leaves; ++i) emit(Node{mix(node.key ^ (i + 1)), 2, 3});
  } else if (node.kind == 0 && node.depth < shape.depth) {
    const std::uint64_t n = 1 + mix(node.key) % 4;
    for (std::uint64_t i = 0; i < n; ++i) emit(Node{mix(node.key * 31 + i + 1), node.depth + 1, 0});
  }
}

/// A node's value in the fold: small, so that the sum cannot overflow.
std::uint64_t value(const Node& node) { return node.key % 1000003; }

}  // namespace

int main(int argc, char** argv) {
  taskfarm::App app(argc, argv, "tree_check: a generated tree, one task per node, each submitting its children");
  Shape shape;
  std::uint64_t seed = 1;
  std::string wide;
  std::string form = "lines";
  std::uint64_t fail_every = 0;
  std::uint64_t spin = 0;
  std::uint64_t abort_key = 0;
  bool serial = false;
  app.option("--depth", shape.depth, "depth below which a node has 1 to 4 children");
  app.option("--seed", seed, "the root's key");
  app.option("--wide", wide, "A,B: a root with A children of B leaves each, instead");
  app.option("--form", form,
             "lines (void kernel(const Node&, Out&, Submit&)), fold (R kernel(const Node&, Submit&)) or group "
             "(void kernel(const Node&, const Group&, Out&, Submit&))");
  app.option("--fail-every", fail_every, "nodes whose key is divisible by this throw on their first attempt, after submitting");
  app.option("--spin", spin, "busy-loop iterations per task");
  app.option("--abort-key", abort_key, "the node with this key calls abort() on every attempt (a poison task; 0: none)");
  app.option("--serial", serial,
             "walk the tree serially, without the farm (the oracle); with --fail-every, as the farm does under "
             "--retries 0: the failing nodes and their subtrees left out");
  if (!wide.empty()) {
    const auto comma = wide.find(',');
    shape.wide_children = std::stoull(wide.substr(0, comma));
    shape.wide_leaves = std::stoull(wide.substr(comma + 1));
  }
  const Node root{seed, 0, wide.empty() ? 0u : 1u};

  auto work = [&](const Node& node) {
    if (abort_key != 0 && node.key == abort_key) std::abort();
    volatile std::uint64_t sink = node.key;
    for (std::uint64_t i = 0; i < spin; ++i) sink = sink * 3 + i;
  };
  auto maybe_fail = [&](const Node& node) {
    if (fail_every && node.key % fail_every == 0 && taskfarm::this_task().attempt == 0)
      throw std::runtime_error("node " + std::to_string(node.key) + " fails its first attempt");
  };

  if (serial) {
    std::vector<Node> stack{root};
    std::uint64_t sum = 0;
    while (!stack.empty()) {
      const Node node = stack.back();
      stack.pop_back();
      if (fail_every && node.key % fail_every == 0) continue;  // as under --retries 0: no line, no subtree
      if (form == "fold") sum += value(node);
      else std::printf("%llu\t%u\n", static_cast<unsigned long long>(node.key), node.depth);
      children(shape, node, [&](const Node& child) { stack.push_back(child); });
    }
    if (form == "fold") std::printf("%llu\n", static_cast<unsigned long long>(sum));
    return 0;
  }
  const std::vector<Node> source{root};
  if (form == "fold") {
    return app.run(
        source,
        [&](const Node& node, taskfarm::Submit<Node>& submit) {
          work(node);
          children(shape, node, [&](const Node& child) { submit(child); });
          maybe_fail(node);
          return value(node);
        },
        taskfarm::fold<std::uint64_t>(0, [](std::uint64_t a, std::uint64_t b) { return a + b; }));
  }
  if (form == "group") {  // every rank of the group submits; the group's rank 0's count
    return app.run(source, [&](const Node& node, const taskfarm::Group& group, taskfarm::Out& out,
                               taskfarm::Submit<Node>& submit) {
      std::uint64_t key = node.key;
      MPI_Bcast(&key, 1, MPI_UINT64_T, 0, group.comm());
      if (group.rank() == 0) out << key << '\t' << node.depth << '\n';
      children(shape, node, [&](const Node& child) { submit(child); });
      maybe_fail(node);
    });
  }
  return app.run(source, [&](const Node& node, taskfarm::Out& out, taskfarm::Submit<Node>& submit) {
    work(node);
    out << node.key << '\t' << node.depth << '\n';
    children(shape, node, [&](const Node& child) { submit(child); });
    maybe_fail(node);
  });
}
