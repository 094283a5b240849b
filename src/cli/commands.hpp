// Each subcommand adds itself to the app and returns the action to run when it was chosen.
// Commands are thin: parse flags, call the layers, print.
#pragma once

#include <functional>
#include <vector>

#include <CLI/CLI.hpp>

namespace attn::cli {

// Exit codes (documented in --help and the README).
inline constexpr int kExitOk = 0;
inline constexpr int kExitRegression = 1;   // compare: a real regression
inline constexpr int kExitUsage = 2;        // usage, spec or input error; nothing measured was lost
inline constexpr int kExitBaseline = 3;     // compare: baseline missing or incompatible

using Action = std::function<int()>;

// A command file defines `Action add_x_command(CLI::App&)` (adds one subcommand, returns its
// action) and registers it with `static const CommandRegistration kRegistration{order, add_x_command};`.
// `order` fixes the position in --help. main() never lists commands by name.
using CommandAdder = Action (*)(CLI::App&);
struct CommandEntry {
  int order;
  CommandAdder add;
};
std::vector<CommandEntry>& command_registry();
struct CommandRegistration {
  CommandRegistration(int order, CommandAdder add) { command_registry().push_back({order, add}); }
};

}  // namespace attn::cli
