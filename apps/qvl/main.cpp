// qvl entry point: dispatches to a registered subcommand. Any qvl::Error that
// escapes a command becomes one line on stderr and exit code 1; never a crash.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

#include "apps/qvl/command.h"
#include "base/cpu_features.h"
#include "base/error.h"
#include "base/log.h"
#include "base/progress.h"

namespace qvl::app {
std::vector<Command>& commands() {
  static std::vector<Command> c;
  return c;
}
}  // namespace qvl::app

static void usage() {
  std::fprintf(stderr, "usage: qvl <command> [options]\n\ncommands:\n");
  for (const auto& c : qvl::app::commands()) std::fprintf(stderr, "  %-16s %s\n", c.name, c.summary);
  std::fprintf(stderr, "\n'qvl <command> --help' shows a command's options; 'qvl --version' the build and ISA.\n");
}

// `qvl --version`: the build and the kernels this CPU gets, so a bug report or a
// test log says which ISA path ran (QVL_ISA lowers it; see base/cpu_features.h).
static void version() {
  const auto& f = qvl::cpu_features();
  std::printf("qvl (built %s)\nkernels: %s (cpu detects %s; QVL_ISA=%s)\n", __DATE__,
              qvl::isa_name(qvl::active_isa()), qvl::isa_name(qvl::detected_isa()),
              std::getenv("QVL_ISA") ? std::getenv("QVL_ISA") : "unset");
  std::printf("cpu: avx2=%d fma=%d f16c=%d avx512f=%d avx512bw=%d avx512vl=%d avx512dq=%d avx512vnni=%d avx512bf16=%d\n",
              f.avx2, f.fma, f.f16c, f.avx512f, f.avx512bw, f.avx512vl, f.avx512dq, f.avx512vnni, f.avx512bf16);
}

int main(int argc, char** argv) {
  if (argc == 2 && !std::strcmp(argv[1], "--version")) {
    version();
    return 0;
  }
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    usage();
    return argc < 2 ? 2 : 0;
  }
  // --progress=auto|always|never works with every command (bars: base/progress.h).
  std::vector<std::string> args;
  try {
    for (int i = 2; i < argc; ++i) {
      const std::string s = argv[i];
      if (s.rfind("--progress=", 0) == 0) {
        qvl::set_progress_mode(qvl::parse_progress_mode(s.substr(11)));
      } else if (s == "--progress" && i + 1 < argc) {
        qvl::set_progress_mode(qvl::parse_progress_mode(argv[++i]));
      } else {
        args.push_back(s);
      }
    }
  } catch (const qvl::Error& e) {
    std::fprintf(stderr, "qvl %s: error: %s\n", argv[1], e.what());
    return 2;
  }
  for (const auto& c : qvl::app::commands()) {
    if (std::strcmp(c.name, argv[1]) != 0) continue;
    try {
      return c.fn(args);
    } catch (const qvl::Error& e) {
      if (qvl::log_format() == qvl::LogFormat::kJson) qvl::log_error(c.name, ": error: ", e.what());
      else std::fprintf(stderr, "qvl %s: error: %s\n", c.name, e.what());
      return 1;
    } catch (const std::exception& e) {
      if (qvl::log_format() == qvl::LogFormat::kJson) qvl::log_error(c.name, ": internal error: ", e.what());
      else std::fprintf(stderr, "qvl %s: internal error: %s\n", c.name, e.what());
      return 1;
    }
  }
  std::fprintf(stderr, "qvl: unknown command '%s'\n", argv[1]);
  usage();
  return 2;
}
