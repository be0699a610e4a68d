"""The deployment guide's mode header: pick instruct or thinking per request.

python3 examples/python/mode_header.py http://localhost:8080 [max_tokens]
"""
import sys

import requests

url = sys.argv[1] if len(sys.argv) > 1 else "http://localhost:8080"
max_tokens = int(sys.argv[2]) if len(sys.argv) > 2 else 64
for mode in ("instruct", "thinking"):
    response = requests.post(
        url + "/v1/chat/completions",
        headers={"X-Reasoning-Mode": mode},
        json={"messages": [{"role": "user", "content": "Why is the sky blue?"}], "max_tokens": max_tokens},
        timeout=600,
    )
    response.raise_for_status()
    body = response.json()
    print(mode, body["reasoning_mode"]["mode"], repr(body["choices"][0]["message"]["content"][:60]))
