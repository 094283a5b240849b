// attnbench: measures attention approximations against exact softmax attention.
#include <cstdio>
#include <fmt/format.h>
#include <map>

#include "cli/commands.hpp"
#include "core/error.hpp"

int main(int argc, char** argv) {
  using namespace attn::cli;
  CLI::App app{"attnbench: time, memory and error of attention approximations versus exact softmax attention"};
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 success; 1 regression found (compare); 2 usage, spec or input error (one line names the "
      "field and the reason; results already measured are kept); 3 baseline missing or incompatible (compare).");
  std::map<const CLI::App*, Action> actions;
  for (auto add : {add_run_command, add_list_command, add_validate_command, add_apply_command}) {
    const size_t before = app.get_subcommands({}).size();
    Action a = add(app);
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
