// Subcommand registry: each cmd_*.cpp registers itself, so main.cpp never changes
// when a command is added. A command returns the process exit code.
#pragma once
#include <string>
#include <vector>

namespace qvl::app {

using CommandFn = int (*)(const std::vector<std::string>& args);

struct Command {
  const char* name;
  const char* summary;
  CommandFn fn;
};

std::vector<Command>& commands();

struct RegisterCommand {
  RegisterCommand(const char* name, const char* summary, CommandFn fn) { commands().push_back({name, summary, fn}); }
};

}  // namespace qvl::app

#define QVL_COMMAND(name, summary, fn) static ::qvl::app::RegisterCommand qvl_cmd_##fn(name, summary, fn)
