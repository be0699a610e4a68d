// qvl entry point: dispatches to a registered subcommand. Any qvl::Error that
// escapes a command becomes one line on stderr and exit code 1; never a crash.
#include <cstdio>
#include <cstring>
#include <exception>

#include "apps/qvl/command.h"
#include "base/error.h"

namespace qvl::app {
std::vector<Command>& commands() {
  static std::vector<Command> c;
  return c;
}
}  // namespace qvl::app

static void usage() {
  std::fprintf(stderr, "usage: qvl <command> [options]\n\ncommands:\n");
  for (const auto& c : qvl::app::commands()) std::fprintf(stderr, "  %-16s %s\n", c.name, c.summary);
  std::fprintf(stderr, "\n'qvl <command> --help' shows a command's options.\n");
}

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    usage();
    return argc < 2 ? 2 : 0;
  }
  std::vector<std::string> args(argv + 2, argv + argc);
  for (const auto& c : qvl::app::commands()) {
    if (std::strcmp(c.name, argv[1]) != 0) continue;
    try {
      return c.fn(args);
    } catch (const qvl::Error& e) {
      std::fprintf(stderr, "qvl %s: error: %s\n", c.name, e.what());
      return 1;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "qvl %s: internal error: %s\n", c.name, e.what());
      return 1;
    }
  }
  std::fprintf(stderr, "qvl: unknown command '%s'\n", argv[1]);
  usage();
  return 2;
}
