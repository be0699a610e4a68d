// Chat templates, tier 2: every conversation in tests/data/conversations rendered by
// `qvl render-template` must equal @huggingface/jinja's output byte for byte, for the
// Qwen3 hybrid, Qwen3-VL Instruct and Qwen3-VL Thinking templates. Where the reference
// rejects an input (e.g. list content in the text-only template), qvl must fail too.
// Env: QVL_BIN = path of the qvl binary.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { applyChatTemplate } from "../../tools/ref/render_template.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const qvl = process.env.QVL_BIN ?? join(root, "build/bin/qvl");
const convDir = join(root, "tests/data/conversations");
const templates = ["qwen3-hybrid", "qwen3-vl-instruct", "qwen3-vl-thinking"];
const conversations = readdirSync(convDir).filter((f) => f.endsWith(".json")).sort();

function renderQvl(templatePath, convPath) {
  try {
    return { out: execFileSync(qvl, ["render-template", "--template", templatePath, "--context", convPath], { stdio: ["ignore", "pipe", "pipe"] }) };
  } catch (e) {
    return { error: `${e.stderr}`.trim() || `exit ${e.status}` };
  }
}

test("qvl binary exists", () => {
  assert.ok(existsSync(qvl), `QVL_BIN not found: ${qvl}`);
});

test("at least 50 conversations", () => {
  assert.ok(conversations.length >= 50, `only ${conversations.length} conversations`);
});

for (const name of templates) {
  const templatePath = join(root, "data/templates", `${name}.jinja`);
  test(`${name}: qvl equals @huggingface/jinja on every conversation`, () => {
    const source = readFileSync(templatePath, "utf8");
    let rendered = 0;
    for (const file of conversations) {
      const convPath = join(convDir, file);
      const conv = JSON.parse(readFileSync(convPath, "utf8"));
      let expected = null;
      let refError = null;
      try {
        expected = applyChatTemplate(source, conv);
      } catch (e) {
        refError = e.message;
      }
      const got = renderQvl(templatePath, convPath);
      if (refError !== null) {
        assert.ok(got.error, `${file}: reference fails (${refError}) but qvl rendered`);
        continue;
      }
      assert.ok(!got.error, `${file}: qvl failed: ${got.error}`);
      assert.ok(Buffer.from(expected, "utf8").equals(got.out), `${file}: output differs\n--- reference\n${expected}\n--- qvl\n${got.out}`);
      if (conv.expect_error) assert.fail(`${file}: expected an error`);
      rendered++;
    }
    // The text-only hybrid template rejects image/video parts; all others render.
    assert.ok(rendered >= 50, `${name}: only ${rendered} conversations rendered`);
  });
}
