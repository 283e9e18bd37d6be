// The block line reader against a plain split of the whole file, for every block size
// from 1 byte to past the end of the file.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "jobkit/input.hpp"

namespace taskfarm {
namespace {

namespace fs = std::filesystem;

struct Line {
  std::uint64_t offset;
  std::string text;
  bool operator==(const Line& o) const { return offset == o.offset && text == o.text; }
};

/// Lines as a reader of the whole file sees them: split at '\n', a last line without
/// one included, nothing after a final '\n'.
std::vector<Line> split_whole(const std::string& content) {
  std::vector<Line> lines;
  std::size_t start = 0;
  while (start < content.size()) {
    const std::size_t nl = content.find('\n', start);
    const std::size_t end = nl == std::string::npos ? content.size() : nl;
    lines.push_back({start, content.substr(start, end - start)});
    start = end + 1;
  }
  return lines;
}

class InputFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("taskfarm_input_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& content) {
    const fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
  }
  fs::path dir_;
};

TEST_F(InputFiles, EveryLineOnceForEveryBlockSize) {
  const std::vector<std::string> contents = {
      "",
      "\n",
      "a",
      "one line\n",
      "no final newline\nsecond",
      "crlf\r\nlines\r\n\r\n",
      "\n\nblank lines first\n\n",
      std::string("non-ascii caf\xc3\xa9 \xff\xfe\n") + std::string(300, 'x') + "\nshort\n" + std::string(301, 'y'),
  };
  for (const auto& content : contents) {
    const std::string path = write("f.txt", content);
    const auto expected = split_whole(content);
    for (std::uint64_t block = 1; block <= content.size() + 2; ++block) {
      std::vector<Line> got;
      std::uint64_t read = 0;
      for (std::uint64_t off = 0; off < content.size(); off += block) {
        const BlockRef ref{path, off, std::min<std::uint64_t>(block, content.size() - off)};
        read += for_each_line(ref, [&](std::uint64_t o, std::string_view l) { got.push_back({o, std::string(l)}); });
      }
      ASSERT_EQ(got, expected) << "block size " << block << " content '" << content << "'";
      EXPECT_GE(read, content.size());
    }
  }
}

TEST_F(InputFiles, BlockSourceCutsEveryFileAndDescribesBlocks) {
  const std::string a = write("a", std::string(10, 'a'));
  const std::string b = write("b", "");
  const std::string c = write("c", "ccc");
  auto source = open_block_source({{a, 10}, {b, 0}, {c, 3}}, 4);
  EXPECT_EQ(source->size(), 4u);  // a: 3 blocks, b: none, c: 1
  std::string payload;
  std::vector<std::string> seen;
  while (source->next(payload)) {
    const BlockRef r = decode_block(payload);
    seen.push_back(std::string(r.path) + "@" + std::to_string(r.offset) + "+" + std::to_string(r.length));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{a + "@0+4", a + "@4+4", a + "@8+2", c + "@0+3"}));
}

TEST_F(InputFiles, DirectoriesAreWalkedInNameOrderSkippingHiddenNames) {
  write("d/b.txt", "b");
  write("d/a.txt", "a");
  write("d/sub/z.txt", "z");
  write("d/_SUCCESS", "");
  write("d/_tmp/x", "x");
  write("d/.hidden", "h");
  write("top.txt", "t");
  const auto files = list_input_files({(dir_ / "top.txt").string(), (dir_ / "d").string()});
  std::vector<std::string> names;
  for (const auto& f : files) names.push_back(fs::relative(f.path, dir_).string());
  EXPECT_EQ(names, (std::vector<std::string>{"top.txt", "d/a.txt", "d/b.txt", "d/sub/z.txt"}));
  EXPECT_THROW(list_input_files({(dir_ / "missing").string()}), UsageError);
}

TEST(ByteSize, SuffixesAndErrors) {
  EXPECT_EQ(parse_byte_size("4096", "--block-size"), 4096u);
  EXPECT_EQ(parse_byte_size("64K", "--block-size"), 64u << 10);
  EXPECT_EQ(parse_byte_size("64M", "--block-size"), 64u << 20);
  EXPECT_EQ(parse_byte_size("1G", "--block-size"), 1u << 30);
  for (const char* bad : {"0", "", "12X", "M", "-1", "1.5M", "99999999999G"}) {
    try {
      parse_byte_size(bad, "--block-size");
      ADD_FAILURE() << bad;
    } catch (const UsageError& e) {
      EXPECT_EQ(std::string(e.what()),
                std::string("--block-size: expected a positive size like 4096, 64K, 64M or 1G, got '") + bad + "'");
    }
  }
}

}  // namespace
}  // namespace taskfarm
