#pragma once
/// @file
/// How task and result values travel between ranks: `taskfarm::codec<T>`.
///
/// Supported out of the box: arithmetic types, trivially copyable structs, `std::string`,
/// `std::vector`, `std::pair` and `std::tuple` of supported types. For any other type,
/// specialise `taskfarm::codec`:
/// @code
/// template <> struct taskfarm::codec<Particle> {
///   static void encode(const Particle& p, std::string& out) { ... append bytes to out ... }
///   static Particle decode(std::string_view& in) { ... read from the front of in, advance it ... }
/// };
/// @endcode
/// `decode` reads what `encode` appended and removes it from the front of `in`.

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace taskfarm {

/// A payload that does not decode (too short): the task fails with this message.
class codec_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Encodes and decodes one type. The primary template is deliberately empty: a type
/// without a specialisation is a compile-time error (see detail::has_codec).
template <class T, class Enable = void>
struct codec {
  /// Marks a type without a codec (never set this in a specialisation).
  static constexpr bool taskfarm_no_codec = true;
};

namespace detail {

template <class T>
struct is_pair_or_tuple : std::false_type {};
template <class A, class B>
struct is_pair_or_tuple<std::pair<A, B>> : std::true_type {};
template <class... Ts>
struct is_pair_or_tuple<std::tuple<Ts...>> : std::true_type {};

template <class C, class = void>
struct lacks_codec : std::false_type {};
template <class C>
struct lacks_codec<C, std::void_t<decltype(C::taskfarm_no_codec)>> : std::true_type {};

/// Whether `codec<T>` exists (a built-in case or a user's specialisation).
template <class T>
inline constexpr bool has_codec = !lacks_codec<codec<T>>::value;

inline void take(std::string_view& in, void* to, std::size_t bytes) {
  if (in.size() < bytes) throw codec_error("taskfarm::codec: payload too short");
  std::memcpy(to, in.data(), bytes);
  in.remove_prefix(bytes);
}

}  // namespace detail

/// Arithmetic types and trivially copyable structs: their bytes.
template <class T>
struct codec<T, std::enable_if_t<std::is_trivially_copyable_v<T> && !detail::is_pair_or_tuple<T>::value>> {
  /// Appends the bytes of `value` to `out`.
  static void encode(const T& value, std::string& out) { out.append(reinterpret_cast<const char*>(&value), sizeof value); }
  /// Reads a value from the front of `in` and removes its bytes; throws codec_error when `in` is too short.
  static T decode(std::string_view& in) {
    T value;
    detail::take(in, &value, sizeof value);
    return value;
  }
};

/// std::string: a 64-bit length, then the bytes.
template <>
struct codec<std::string> {
  /// Appends the bytes of `value` to `out`.
  static void encode(const std::string& value, std::string& out) {
    codec<std::uint64_t>::encode(value.size(), out);
    out.append(value);
  }
  /// Reads a value from the front of `in` and removes its bytes; throws codec_error when `in` is too short.
  static std::string decode(std::string_view& in) {
    const auto size = codec<std::uint64_t>::decode(in);
    if (in.size() < size) throw codec_error("taskfarm::codec: string longer than its payload");
    std::string value(in.substr(0, static_cast<std::size_t>(size)));
    in.remove_prefix(static_cast<std::size_t>(size));
    return value;
  }
};

/// std::vector: a 64-bit count, then the elements (in one copy when trivially copyable).
template <class T, class A>
struct codec<std::vector<T, A>, std::enable_if_t<detail::has_codec<T>>> {
  /// Appends the bytes of `value` to `out`.
  static void encode(const std::vector<T, A>& value, std::string& out) {
    codec<std::uint64_t>::encode(value.size(), out);
    if constexpr (std::is_trivially_copyable_v<T>) {
      out.append(reinterpret_cast<const char*>(value.data()), value.size() * sizeof(T));
    } else {
      for (const T& element : value) codec<T>::encode(element, out);
    }
  }
  /// Reads a value from the front of `in` and removes its bytes; throws codec_error when `in` is too short.
  static std::vector<T, A> decode(std::string_view& in) {
    const auto size = codec<std::uint64_t>::decode(in);
    std::vector<T, A> value;
    if constexpr (std::is_trivially_copyable_v<T>) {
      if (in.size() / sizeof(T) < size) throw codec_error("taskfarm::codec: vector longer than its payload");
      value.resize(static_cast<std::size_t>(size));
      detail::take(in, value.data(), value.size() * sizeof(T));
    } else {
      if (in.size() < size) throw codec_error("taskfarm::codec: vector longer than its payload");
      value.reserve(static_cast<std::size_t>(size));
      for (std::uint64_t i = 0; i < size; ++i) value.push_back(codec<T>::decode(in));
    }
    return value;
  }
};

/// std::pair: first, then second.
template <class A, class B>
struct codec<std::pair<A, B>, std::enable_if_t<detail::has_codec<A> && detail::has_codec<B>>> {
  /// Appends the bytes of `value` to `out`.
  static void encode(const std::pair<A, B>& value, std::string& out) {
    codec<A>::encode(value.first, out);
    codec<B>::encode(value.second, out);
  }
  /// Reads a value from the front of `in` and removes its bytes; throws codec_error when `in` is too short.
  static std::pair<A, B> decode(std::string_view& in) {
    A first = codec<A>::decode(in);
    B second = codec<B>::decode(in);
    return {std::move(first), std::move(second)};
  }
};

/// std::tuple: its elements in order.
template <class... Ts>
struct codec<std::tuple<Ts...>, std::enable_if_t<(detail::has_codec<Ts> && ...)>> {
  /// Appends the bytes of `value` to `out`.
  static void encode(const std::tuple<Ts...>& value, std::string& out) {
    std::apply([&](const Ts&... element) { (codec<Ts>::encode(element, out), ...); }, value);
  }
  /// Reads a value from the front of `in` and removes its bytes; throws codec_error when `in` is too short.
  static std::tuple<Ts...> decode(std::string_view& in) {
    // Braced initialisation evaluates left to right.
    return std::tuple<Ts...>{codec<Ts>::decode(in)...};
  }
};

}  // namespace taskfarm
