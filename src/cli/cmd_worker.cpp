// attnbench worker (hidden): the isolated child of `run` (runner/worker_protocol.hpp). Not for
// people: it reads a request on stdin and writes events to a file descriptor.
#include "cli/commands.hpp"
#include "runner/worker_protocol.hpp"

namespace attn::cli {

namespace {
Action add_worker_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("worker", "The isolated child of run (internal)");
  cmd->group("");  // hidden from --help
  auto fd = std::make_shared<int>(3);
  cmd->add_option("--events-fd", *fd, "File descriptor the events are written to");
  return [fd]() { return run_worker(*fd); };
}

const CommandRegistration kRegistration{90, add_worker_command};
}  // namespace

}  // namespace attn::cli
