// attnbench list [--json | --markdown]: the registered methods, parameters and budget mapping.
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "methods/method_docs.hpp"
#include "methods/registry.hpp"

namespace attn::cli {

namespace {
Action add_list_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("list", "List methods, their parameters, defaults and budget mapping");
  auto json = std::make_shared<bool>(false);
  auto markdown = std::make_shared<bool>(false);
  auto* j = cmd->add_flag("--json", *json, "Machine-readable JSON");
  cmd->add_flag("--markdown", *markdown, "Markdown (this is how docs/methods.md is generated)")->excludes(j);
  return [json, markdown]() {
    if (*json) {
      nlohmann::json all = nlohmann::json::array();
      for (const auto& m : MethodRegistry::instance().all()) all.push_back(method_info_json(m));
      fmt::print("{}\n", all.dump(2));
    } else if (*markdown) {
      fmt::print("{}", methods_markdown());
    } else {
      fmt::print("{}", methods_text());
    }
    return kExitOk;
  };
}

const CommandRegistration kRegistration{20, add_list_command};
}  // namespace

}  // namespace attn::cli
