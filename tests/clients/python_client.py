"""Reads an event stream with httpx-sse from PyPI and prints every event it yields as JSON.

    python3 python_client.py URL
"""
import json
import sys

import httpx
from httpx_sse import connect_sse

events = []
with httpx.Client(timeout=30) as client:
    with connect_sse(client, "GET", sys.argv[1]) as source:
        for sse in source.iter_sse():
            events.append({"type": sse.event, "data": sse.data, "lastEventId": sse.id})
            if sse.event == "done":
                break
print(json.dumps(events))
