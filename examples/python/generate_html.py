"""The deployment guide's screenshot -> HTML client (Python requests).

python3 examples/python/generate_html.py http://localhost:8080 screenshot.png [max_tokens]
"""
import sys

import requests

url = sys.argv[1] if len(sys.argv) > 1 else "http://localhost:8080"
shot = sys.argv[2] if len(sys.argv) > 2 else "screenshot.png"
max_tokens = sys.argv[3] if len(sys.argv) > 3 else "1024"
with open(shot, "rb") as f:
    response = requests.post(
        url + "/v1/generate/html",
        files={"image": ("screenshot.png", f, "image/png")},
        data={"text": "Recreate this page.", "max_tokens": max_tokens},
        headers={"X-Reasoning-Mode": "thinking"},  # the guide's mode header (the default for code anyway)
        timeout=600,
    )
response.raise_for_status()
with open("output.html", "w", encoding="utf-8") as out:
    out.write(response.json()["html_code"])
print("wrote output.html")
