// The public API's value plumbing: taskfarm::codec round trips for every supported kind
// of type, a short payload refused, and Out printing as an ostream would.

#include <gtest/gtest.h>

#include <cstdint>
#include <sstream>
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
  taskfarm::Out out(text);
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
  EXPECT_EQ(text, expected.str());
}

}  // namespace
