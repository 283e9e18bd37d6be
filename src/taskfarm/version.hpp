#pragma once
namespace taskfarm {
inline constexpr const char* version = "0.2.0";
}
