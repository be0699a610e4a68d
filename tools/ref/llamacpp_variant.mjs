// Which of node-llama-cpp's prebuilt ggml CPU variants (libggml-cpu-<name>.so:
// haswell = AVX2, zen4 / skylakex / icelake / sapphirerapids = AVX-512, ...) a
// reference run uses. ggml loads the best-scoring variant found next to the addon,
// so a variant is forced by running the reference script inside a shadow tree
// (.cache/llama-variants/<name>/) whose node_modules are symlinks to ours, except
// that its copy of the prebuilt bins folder holds that one CPU variant only; node's
// --preserve-symlinks makes module resolution stay inside the shadow tree.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const binsRel = "@node-llama-cpp/linux-x64/bins/linux-x64";

export function availableVariants() {
  const dir = path.join(root, "node_modules", binsRel);
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => /^libggml-cpu-.+\.so$/.test(f)).map((f) => f.slice(12, -3)).sort();
}

// Mirrors `from` into `to` with symlinks, descending only into the directories on
// `path` (a list of names) and leaving out what `keep(name, depth)` rejects.
function mirror(from, to, descend, keep) {
  fs.mkdirSync(to, { recursive: true });
  for (const name of fs.readdirSync(from)) {
    const src = path.join(from, name), dst = path.join(to, name);
    if (descend.length && name === descend[0] && fs.statSync(src).isDirectory()) mirror(src, dst, descend.slice(1), keep);
    else if (keep(name, descend.length)) fs.symlinkSync(src, dst);
  }
}

// The node binary that runs reference scripts: QVL_NODE when set (tools/emulate/
// runs every x86-64 process of the tests under an emulated CPU, and a child of an
// emulated node would otherwise run natively), else this node.
export const nodeBinary = process.env.QVL_NODE || process.execPath;

// The command that runs tools/ref/<script> against one CPU variant ("" = ggml's own
// choice): {cmd, args} for child_process.spawn.
export function referenceCommand(script, variant) {
  const real = path.join(root, "tools/ref", script);
  if (!variant) return { cmd: nodeBinary, args: [real] };
  if (!availableVariants().includes(variant)) throw new Error(`node-llama-cpp has no CPU variant '${variant}'`);
  const shadow = path.join(root, ".cache/llama-variants", variant);
  const stamp = path.join(shadow, ".complete");
  if (!fs.existsSync(stamp)) {
    fs.rmSync(shadow, { recursive: true, force: true });
    mirror(path.join(root, "node_modules"), path.join(shadow, "node_modules"), binsRel.split("/"),
      (name, depth) => depth > 0 || !/^libggml-cpu-.+\.so$/.test(name) || name === `libggml-cpu-${variant}.so`);
    mirror(path.join(root, "tools/ref"), path.join(shadow, "tools/ref"), [], () => true);
    fs.writeFileSync(stamp, "");
  }
  return {
    cmd: nodeBinary,
    args: ["--preserve-symlinks", "--preserve-symlinks-main", path.join(shadow, "tools/ref", script)],
  };
}

// The CPU variant this process has loaded, read from its memory map after a model
// is loaded ("unknown" when none is mapped).
export function loadedVariant() {
  try {
    const m = fs.readFileSync("/proc/self/maps", "utf8").match(/libggml-cpu-([A-Za-z0-9_]+)\.so/);
    return m ? m[1] : "unknown";
  } catch {
    return "unknown";
  }
}
