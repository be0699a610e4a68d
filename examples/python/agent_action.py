"""The deployment guide's GUI agent client (Python requests): a screenshot and an
instruction in, the next action out, with coordinates in the screenshot's pixels.

python3 examples/python/agent_action.py http://localhost:8080 screenshot.png "Turn off Bluetooth" [max_tokens]
"""
import base64
import json
import sys

import requests

url = sys.argv[1] if len(sys.argv) > 1 else "http://localhost:8080"
shot = sys.argv[2] if len(sys.argv) > 2 else "screenshot.png"
instruction = sys.argv[3] if len(sys.argv) > 3 else "How do I turn off Bluetooth?"
max_tokens = int(sys.argv[4]) if len(sys.argv) > 4 else 1024
with open(shot, "rb") as f:
    image = "data:image/png;base64," + base64.b64encode(f.read()).decode()
response = requests.post(
    url + "/v1/agent/action",
    json={"image": image, "instruction": instruction, "history": [], "max_tokens": max_tokens},
    timeout=600,
)
response.raise_for_status()
action = response.json()
print(json.dumps({k: action[k] for k in ("action", "element", "coordinates", "confidence")}))
