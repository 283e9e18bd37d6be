// The public API's value plumbing: taskfarm::codec round trips for every supported kind
// of type, a short payload refused, Out printing as an ostream would, and every kind of
// source streaming its tasks in order.

#include <gtest/gtest.h>

#include <limits>

#include <cstdint>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <taskfarm/taskfarm.hpp>

namespace {

struct Point {
  double x;
  std::int32_t id;
  bool operator==(const Point& o) const { return x == o.x && id == o.id; }
};

struct Label {
  std::string text;
};

}  // namespace

/// A user's codec for a type that is not trivially copyable.
template <>
struct taskfarm::codec<Label> {
  static void encode(const Label& label, std::string& out) { codec<std::string>::encode(label.text, out); }
  static Label decode(std::string_view& in) { return Label{codec<std::string>::decode(in)}; }
};

namespace {

template <class T>
T round_trip(const T& value) {
  std::string bytes;
  taskfarm::codec<T>::encode(value, bytes);
  std::string_view in = bytes;
  T back = taskfarm::codec<T>::decode(in);
  EXPECT_TRUE(in.empty()) << "decode must consume exactly what encode wrote";
  return back;
}

TEST(Codec, RoundTripsEverySupportedKind) {
  EXPECT_EQ(round_trip<std::int64_t>(-42), -42);
  EXPECT_EQ(round_trip<double>(0.1), 0.1);
  EXPECT_EQ(round_trip(Point{2.5, 7}), (Point{2.5, 7}));
  EXPECT_EQ(round_trip(std::string("tab\tand\nnewline")), "tab\tand\nnewline");
  EXPECT_EQ(round_trip(std::string()), "");
  EXPECT_EQ(round_trip(std::vector<std::uint16_t>{1, 2, 65535}), (std::vector<std::uint16_t>{1, 2, 65535}));
  EXPECT_EQ(round_trip(std::vector<std::string>{"a", "", "ccc"}), (std::vector<std::string>{"a", "", "ccc"}));
  EXPECT_EQ(round_trip(std::pair<std::string, int>{"x", 3}), (std::pair<std::string, int>{"x", 3}));
  const std::tuple<int, std::string, std::vector<double>> t{1, "two", {3.0, 4.5}};
  EXPECT_EQ(round_trip(t), t);
  EXPECT_EQ(round_trip(Label{"mine"}).text, "mine");
  static_assert(taskfarm::detail::has_codec<Point> && taskfarm::detail::has_codec<Label>);
  static_assert(!taskfarm::detail::has_codec<std::ostringstream>, "a type without a codec is detected");
}

TEST(Codec, AShortPayloadIsACodecError) {
  std::string bytes;
  taskfarm::codec<std::string>::encode("hello", bytes);
  bytes.pop_back();
  std::string_view in = bytes;
  EXPECT_THROW(taskfarm::codec<std::string>::decode(in), taskfarm::codec_error);
  std::string_view three("abc", 3);
  EXPECT_THROW(taskfarm::codec<std::uint64_t>::decode(three), taskfarm::codec_error);
  std::string huge;
  taskfarm::codec<std::uint64_t>::encode(~0ULL, huge);  // a vector "longer than its payload"
  std::string_view h = huge;
  EXPECT_THROW((taskfarm::codec<std::vector<double>>::decode(h)), taskfarm::codec_error);
}

TEST(Out, PrintsAsAnOstreamWould) {
  std::string text;
  auto out_ptr = std::make_unique<taskfarm::Out>(text);
  taskfarm::Out& out = *out_ptr;
  std::ostringstream expected;
  const double values[] = {0.1, 1.0 / 3, 1e-7, 123456789.0, -2.5, 1e300};
  for (double v : values) {
    out << v << ' ';
    expected << v << ' ';
  }
  out << std::int64_t{-9007199254740993} << ' ' << std::uint64_t{18446744073709551615ULL} << ' ' << 'c' << ' ' << true
      << ' ' << "text" << ' ' << std::string("str") << '\n';
  expected << std::int64_t{-9007199254740993} << ' ' << std::uint64_t{18446744073709551615ULL} << ' ' << 'c' << ' '
           << true << ' ' << "text" << ' ' << std::string("str") << '\n';
  out_ptr.reset();  // staged pieces reach the buffer when the Out goes
  EXPECT_EQ(text, expected.str());
}

TEST(Out, LongOutputCrossesTheStagingBufferIntact) {
  std::string text = "kept ";
  std::ostringstream expected;
  expected << "kept ";
  {
    taskfarm::Out out(text);
    const std::string long_piece(1000, 'x');
    for (int i = 0; i < 500; ++i) {
      out << i << " * " << i << " = " << std::int64_t{i} * i << '\n';
      expected << i << " * " << i << " = " << std::int64_t{i} * i << '\n';
      if (i % 100 == 0) {
        out.write(long_piece);
        expected << long_piece;
      }
    }
  }
  EXPECT_EQ(text, expected.str());
}

TEST(Out, AnExceptionDropsWhatWasStaged) {
  std::string text;
  try {
    taskfarm::Out out(text);
    out << "half a line";
    throw std::runtime_error("kernel failed");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(text, "");
}

/// What Out prints for every integer type, against std::to_string: the limits, powers of
/// ten and their neighbours, negatives.
template <class V>
void expect_integers_print_as_to_string() {
  std::vector<V> values{0, 1, 9, std::numeric_limits<V>::max(), std::numeric_limits<V>::min()};
  for (long double p = 10; p <= static_cast<long double>(std::numeric_limits<V>::max()); p *= 10)
    for (int d = -1; d <= 1; ++d) values.push_back(static_cast<V>(static_cast<V>(p) + d));
  if constexpr (std::is_signed_v<V>)
    for (std::size_t i = 0, n = values.size(); i < n; ++i)
      if (values[i] > std::numeric_limits<V>::min()) values.push_back(static_cast<V>(-values[i]));
  for (const V v : values) {
    std::string text;
    {
      taskfarm::Out out(text);
      out << v;
    }
    EXPECT_EQ(text, std::to_string(v)) << "for a value of " << sizeof(V) << " bytes";
  }
}

TEST(Out, PrintsEveryIntegerAsToStringDoes) {
  expect_integers_print_as_to_string<short>();
  expect_integers_print_as_to_string<unsigned short>();
  expect_integers_print_as_to_string<int>();
  expect_integers_print_as_to_string<unsigned>();
  expect_integers_print_as_to_string<long>();
  expect_integers_print_as_to_string<unsigned long>();
  expect_integers_print_as_to_string<long long>();
  expect_integers_print_as_to_string<unsigned long long>();
}

TEST(Out, TheEnginesLinesReachTheBufferWhenTheKernelReturnsAndNotWhenItThrows) {
  auto kernel = [](const long& n, taskfarm::Out& out) {
    out << n << " half";
    if (n == 2) throw std::runtime_error("two");
    out << '\n';
  };
  taskfarm::detail::LineKernel<long, decltype(kernel)> lines(kernel);
  std::string text, payload;
  taskfarm::detail::TaskContext task;
  task.out = &text;
  taskfarm::detail::encode(1L, payload);
  task.payload = payload;
  lines.run(task);
  EXPECT_EQ(text, "1 half\n");
  payload.clear();
  taskfarm::detail::encode(2L, payload);
  task.payload = payload;
  EXPECT_THROW(lines.run(task), std::runtime_error);
  EXPECT_EQ(text, "1 half\n");
}

/// Every task a source yields, decoded, and the size it announced.
template <class T, class S>
std::pair<std::vector<T>, std::optional<std::uint64_t>> drain(S&& source) {
  auto stream = taskfarm::detail::make_stream(std::forward<S>(source));
  std::vector<T> tasks;
  std::string payload;
  while (stream->next(payload)) {
    std::string_view in = payload;
    tasks.push_back(taskfarm::detail::decode<T>(in));
  }
  return {tasks, stream->size()};
}

TEST(Sources, EveryKindStreamsItsTasksInOrder) {
  EXPECT_EQ(drain<int>(taskfarm::range<int>(-2, 3)), (std::pair{std::vector<int>{-2, -1, 0, 1, 2}, std::optional<std::uint64_t>(5)}));
  EXPECT_EQ(drain<int>(taskfarm::range<int>(5, 1)).first, std::vector<int>{});  // empty, not wrapped round
  EXPECT_EQ(drain<std::uint64_t>(taskfarm::generate(4, [](std::uint64_t i) { return i * i; })),
            (std::pair{std::vector<std::uint64_t>{0, 1, 4, 9}, std::optional<std::uint64_t>(4)}));
  const std::vector<std::string> words{"a", "bb", "ccc"};
  EXPECT_EQ(drain<std::string>(words), (std::pair{words, std::optional<std::uint64_t>(3)}));  // a container, by reference
  EXPECT_EQ(drain<std::string>(std::vector<std::string>{"x"}).first, std::vector<std::string>{"x"});  // a temporary, kept
  int left = 3;
  auto countdown = [&]() -> std::optional<int> {
    if (left == 0) return std::nullopt;
    return left--;
  };
  EXPECT_EQ(drain<int>(countdown), (std::pair{std::vector<int>{3, 2, 1}, std::optional<std::uint64_t>()}));  // unsized
}

}  // namespace
