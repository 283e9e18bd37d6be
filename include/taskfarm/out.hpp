#pragma once
/// @file
/// taskfarm::Out, where a kernel writes its own lines (part of taskfarm.hpp).

#include <charconv>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>
#include <type_traits>

#include "taskfarm/detail/print.hpp"

namespace taskfarm {

namespace detail {
template <class T, class K>
struct KernelCall;
template <class T, class K>
class LineKernel;
/// Marks the engine's own Out, which the engine flushes after the kernel returns.
struct EngineFlushes {};
}  // namespace detail
template <class T>
class Task;

/// Where a kernel `void kernel(const T&, taskfarm::Out& out)` writes its own lines:
/// `out << a << ' ' << b << '\n'` works like an ostream. Write whole lines.
class Out {
 public:
  /// Appends to `buffer` (the engine's output buffer for the task), at the latest when
  /// the Out goes away.
  explicit Out(std::string& buffer) : buffer_(buffer), exceptions_(std::uncaught_exceptions()) {}
  /// The engine's own Out for a kernel: flushed after the kernel returns, not in the
  /// destructor (two std::uncaught_exceptions() calls, thread-local lookups, per task are
  /// worth saving).
  Out(std::string& buffer, detail::EngineFlushes) : buffer_(buffer), exceptions_(engine_flushes) {}
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
      put_integer(value);
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
  // std::to_chars's digits, two at a time, always inlined: where the compiler would call an
  // out-of-line std::to_chars (a translation unit that formats integers elsewhere too), a
  // call per number costs as much as a trivial kernel.
  template <class V>
  [[gnu::always_inline]] void put_integer(V value) {
    using U = std::make_unsigned_t<V>;
    U u = static_cast<U>(value);
    if constexpr (std::is_signed_v<V>) {
      if (value < 0) {
        stage_[used_++] = '-';
        u = static_cast<U>(U(0) - u);
      }
    }
    static constexpr char pairs[] =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
        "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
        "8081828384858687888990919293949596979899";
    std::size_t length = 1;
    for (U v = u;; v = static_cast<U>(v / 10000), length += 4) {
      if (v < 10) break;
      if (v < 100) { length += 1; break; }
      if (v < 1000) { length += 2; break; }
      if (v < 10000) { length += 3; break; }
    }
    used_ += length;
    char* last = stage_ + used_;  // written backwards from here
    while (u >= 100) {
      last -= 2;
      std::memcpy(last, pairs + (u % 100) * 2, 2);
      u = static_cast<U>(u / 100);
    }
    if (u >= 10) std::memcpy(last - 2, pairs + u * 2, 2);
    else last[-1] = static_cast<char>('0' + u);
  }
  void flush() {
    buffer_.append(stage_, used_);
    used_ = 0;
  }
  template <class, class>
  friend class detail::LineKernel;
  template <class>
  friend class Task;
  static constexpr int engine_flushes = -1;

  std::string& buffer_;
  int exceptions_;
  std::size_t used_ = 0;
  char stage_[256];
};

}  // namespace taskfarm
