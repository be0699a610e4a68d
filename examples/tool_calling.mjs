// Tool calling against `qvl serve` with the official openai SDK (npm `openai`):
// the model is offered a weather tool, must call it (tool_choice "required"),
// the client runs the tool and sends the result back as a `tool` message, and
// the model answers. Also shows the streamed form (the SDK's stream helper
// accumulates the tool-call deltas into the same message).
//
//   QVL_BASE_URL=http://127.0.0.1:8080/v1 QVL_MODEL=qwen3 node examples/tool_calling.mjs
//
// Prints one JSON line per step, so a script (or the end-to-end test) can read it.
import OpenAI from 'openai';

const client = new OpenAI({ baseURL: process.env.QVL_BASE_URL || 'http://127.0.0.1:8080/v1',
  apiKey: process.env.QVL_API_KEY || 'none' });
const model = process.env.QVL_MODEL || 'qwen3';

const tools = [{
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: {
      type: 'object',
      properties: {
        city: { type: 'string', maxLength: 20 },
        unit: { enum: ['celsius', 'fahrenheit'] },
      },
      required: ['city', 'unit'],
      additionalProperties: false,
    },
  },
}];

// The "tool": a stand-in for a real weather service.
function getWeather({ city, unit }) {
  return { city, unit, temperature: unit === 'celsius' ? 21 : 70, sky: 'clear' };
}

const messages = [{ role: 'user', content: 'What is the weather in Paris?' }];
const first = await client.chat.completions.create({
  model, messages, tools, tool_choice: 'required', parallel_tool_calls: false, max_tokens: 200, seed: 7,
});
const msg = first.choices[0].message;
console.log(JSON.stringify({ step: 'call', finish_reason: first.choices[0].finish_reason, tool_calls: msg.tool_calls ?? [] }));

// Run each call and hand the results back.
messages.push(msg);
for (const call of msg.tool_calls ?? []) {
  const result = getWeather(JSON.parse(call.function.arguments));
  messages.push({ role: 'tool', tool_call_id: call.id, content: JSON.stringify(result) });
}
const answer = await client.chat.completions.create({ model, messages, tools, max_tokens: 40, seed: 7 });
console.log(JSON.stringify({ step: 'answer', finish_reason: answer.choices[0].finish_reason,
  content: answer.choices[0].message.content }));

// The same first request, streamed: the SDK joins the deltas into one message.
const stream = client.chat.completions.stream({
  model, messages: messages.slice(0, 1), tools, tool_choice: 'required', parallel_tool_calls: false,
  max_tokens: 200, seed: 7,
});
const streamed = await stream.finalChatCompletion();
console.log(JSON.stringify({ step: 'stream', finish_reason: streamed.choices[0].finish_reason,
  tool_calls: streamed.choices[0].message.tool_calls ?? [] }));
