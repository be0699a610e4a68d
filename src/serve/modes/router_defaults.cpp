// The built-in router rules as YAML text; data/router/default.yaml holds the
// same text (router_test checks they agree), so users can copy and edit it.
#include "serve/modes/router.h"

namespace qvl::serve {

const char* default_router_yaml() {
  return R"yaml(# qvl's built-in mode router (the same rules are compiled into the binary; a test
# keeps the two equal). Copy this file, edit it, and pass it with --router FILE.
# Rules are tried in order; the first whose conditions all hold picks the mode.
# Conditions: keywords (substrings; ASCII case-insensitive), regex (RE2 syntax,
# case-insensitive, linear-time; keywords and regex together are one "any matches" condition),
# has_image (true/false), task (values of the request's "task" field or X-Task
# header), min_chars (prompt length in bytes). No rule fired -> default_mode.
default_mode: instruct
rules:
  - name: task-thinking
    mode: thinking
    task: [math, proof, reasoning, code, planning, agent]
  - name: task-instruct
    mode: instruct
    task: [chat, translation, ocr, caption, extraction, summary]
  - name: gui-agent
    mode: thinking
    has_image: true
    regex: ['\b(tap|click|press|swipe|scroll|operate|navigate)\b', '(this|the) (screen|app|page|ui)']
    keywords: [点击, 操作, 滑动, 这个屏幕, 此屏幕]
  - name: en-proof
    mode: thinking
    regex: ['\b(prove|proof|derive|derivation|theorem|lemma)\b']
  - name: en-why
    mode: thinking
    regex: ['\bwhy\b']
  - name: en-steps
    mode: thinking
    keywords: [step by step, step-by-step, think carefully, reason through, show your work]
  - name: en-what-if
    mode: thinking
    regex: ['\bwhat if\b', '\bwhat would happen if\b', '\bsuppose that\b', '\bassume that\b']
  - name: en-web
    mode: thinking
    regex: ['\b(write|generate|create|build|make)\b.{0,40}\b(html|css|web ?page|svg)\b']
    keywords: [flowchart, flow chart]
  - name: zh-reasoning
    mode: thinking
    keywords: [为什么, 推理, 证明, 假设, 步骤, 推导, 一步一步]
  - name: zh-what-if
    mode: thinking
    regex: ['如果.*会(怎样|怎么样|如何)']
  - name: zh-web
    mode: thinking
    keywords: [生成html, 写css, 画流程图, 流程图, 生成网页]
)yaml";
}

}  // namespace qvl::serve
