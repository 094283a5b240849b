// Each subcommand adds itself to the app and returns the action to run when it was chosen.
// Commands are thin: parse flags, call the layers, print.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

namespace attn::cli {

// Exit codes (documented in --help and the README).
inline constexpr int kExitOk = 0;
inline constexpr int kExitRegression = 1;   // compare: a real regression
inline constexpr int kExitUsage = 2;        // usage, spec or input error; nothing measured was lost
inline constexpr int kExitBaseline = 3;     // compare: baseline missing or incompatible

using Action = std::function<int()>;

Action add_run_command(CLI::App& app);
Action add_list_command(CLI::App& app);
Action add_validate_command(CLI::App& app);
Action add_apply_command(CLI::App& app);

}  // namespace attn::cli
