"""Tool calling against `qvl serve` with the openai Python SDK (documentation;
examples/tool_calling.mjs is the same flow in node, run by the end-to-end tests).

    pip install openai
    QVL_BASE_URL=http://127.0.0.1:8080/v1 python examples/tool_calling.py
"""
import json
import os

from openai import OpenAI

client = OpenAI(base_url=os.environ.get("QVL_BASE_URL", "http://127.0.0.1:8080/v1"),
                api_key=os.environ.get("QVL_API_KEY", "none"))
model = os.environ.get("QVL_MODEL", "qwen3")

tools = [{
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "maxLength": 20},
                           "unit": {"enum": ["celsius", "fahrenheit"]}},
            "required": ["city", "unit"],
            "additionalProperties": False,
        },
    },
}]


def get_weather(city, unit):
    return {"city": city, "unit": unit, "temperature": 21 if unit == "celsius" else 70, "sky": "clear"}


messages = [{"role": "user", "content": "What is the weather in Paris?"}]
# "auto" lets the model choose; "required" or {"type": "function", "function": {"name": ...}}
# make the server constrain decoding to a call whose arguments follow the schema.
first = client.chat.completions.create(model=model, messages=messages, tools=tools,
                                       tool_choice="required", parallel_tool_calls=False, max_tokens=200)
msg = first.choices[0].message
print("finish_reason:", first.choices[0].finish_reason)
messages.append(msg)
for call in msg.tool_calls or []:
    args = json.loads(call.function.arguments)
    print("call:", call.function.name, args)
    messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(get_weather(**args))})

answer = client.chat.completions.create(model=model, messages=messages, tools=tools, max_tokens=200)
print("answer:", answer.choices[0].message.content)

# Streaming: tool-call deltas arrive per call (index, id, name first, then arguments).
with client.chat.completions.stream(model=model, messages=messages[:1], tools=tools,
                                    tool_choice="required", max_tokens=200) as stream:
    final = stream.get_final_completion()
print("streamed:", [(c.function.name, c.function.arguments) for c in final.choices[0].message.tool_calls or []])
