// attnbench: measures attention approximations against exact softmax attention.
#include <algorithm>
#include <cstdio>
#include <fmt/format.h>
#include <map>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "core/threads.hpp"

namespace attn::cli {
std::vector<CommandEntry>& command_registry() {
  static std::vector<CommandEntry> registry;
  return registry;
}
}  // namespace attn::cli

int main(int argc, char** argv) {
  using namespace attn::cli;
  attn::ensure_passive_openmp(argv);
  CLI::App app{"attnbench: time, memory and error of attention approximations versus exact softmax attention"};
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 success; 1 regression found (compare); 2 usage, spec or input error (one line names the "
      "field and the reason; results already measured are kept); 3 baseline missing or incompatible (compare).");
  std::map<const CLI::App*, Action> actions;
  auto entries = command_registry();
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.order < b.order; });
  for (const auto& entry : entries) {
    const size_t before = app.get_subcommands({}).size();
    Action a = entry.add(app);
    actions[app.get_subcommands({}).at(before)] = std::move(a);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "attnbench: {}\n", e.what());
    return kExitUsage;
  }
  try {
    for (const auto& [sub, action] : actions)
      if (sub->parsed()) return action();
  } catch (const attn::UsageError& e) {
    fmt::print(stderr, "attnbench: {}\n", e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    fmt::print(stderr, "attnbench: {}\n", e.what());
    return kExitUsage;
  }
  return kExitUsage;
}
