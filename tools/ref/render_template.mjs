#!/usr/bin/env node
// Reference chat-template renderer: @huggingface/jinja rendering a template with a JSON
// conversation exactly as transformers' apply_chat_template passes it (tools and
// documents default to null, add_generation_prompt to false, other keys pass through).
// Template(...) already applies trim_blocks + lstrip_blocks, as transformers does.
// Usage: node tools/ref/render_template.mjs TEMPLATE.jinja CONTEXT.json  (prints the prompt)
import { readFileSync } from "node:fs";
import { Template } from "@huggingface/jinja";

export function applyChatTemplate(source, conversation) {
  const ctx = { ...conversation };
  if (!("tools" in ctx)) ctx.tools = null;
  if (!("documents" in ctx)) ctx.documents = null;
  if (!("add_generation_prompt" in ctx)) ctx.add_generation_prompt = false;
  return new Template(source).render(ctx);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [templatePath, contextPath] = process.argv.slice(2);
  if (!templatePath || !contextPath) {
    console.error("usage: render_template.mjs TEMPLATE.jinja CONTEXT.json");
    process.exit(2);
  }
  const source = readFileSync(templatePath, "utf8");
  const conversation = JSON.parse(readFileSync(contextPath, "utf8"));
  process.stdout.write(applyChatTemplate(source, conversation));
}
