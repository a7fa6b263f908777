"""WebSocket listeners for the gateway failover test, written with Python's `websockets`.

Usage: failover_clients.py URL_A URL_B CLIENTS_PER_GATEWAY

Connects CLIENTS_PER_GATEWAY listeners to each URL, prints "ready" once every one has a chunk,
then keeps listening. A listener whose connection drops reconnects to the other URL (as a load
balancer would send it) and must be served again. Ends when every listener on B has 40 chunks
after "ready" and every reconnected listener 10, or after 30 s; prints one JSON summary line.
"""
import asyncio
import json
import sys
import time

import websockets


async def listener(name, urls, ready, state):
    url_index = 0
    record = state[name] = {"seqs": [], "reconnected": False, "after_reconnect": 0, "closes": []}
    while True:
        try:
            async with websockets.connect(urls[url_index], open_timeout=5) as ws:
                async for message in ws:
                    event = json.loads(message)
                    if event["event"] != "chunk":
                        continue
                    record["seqs"].append(event["media"]["seq"])
                    if record["reconnected"]:
                        record["after_reconnect"] += 1
                    ready.set_result(None) if not ready.done() and len(record["seqs"]) == 1 else None
        except (websockets.ConnectionClosed, OSError) as error:
            record["closes"].append(str(error)[:80])
        if record["reconnected"]:
            return
        record["reconnected"] = True
        url_index = 1 - url_index


async def main():
    url_a, url_b, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    state = {}
    readiness = []
    tasks = []
    for gateway, urls in (("a", [url_a, url_b]), ("b", [url_b, url_a])):
        for index in range(count):
            ready = asyncio.get_running_loop().create_future()
            readiness.append(ready)
            tasks.append(asyncio.create_task(listener(f"{gateway}{index}", urls, ready, state)))
    await asyncio.wait_for(asyncio.gather(*readiness), 15)
    print("ready", flush=True)
    marks = {name: len(record["seqs"]) for name, record in state.items()}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        b_done = all(len(r["seqs"]) - marks[n] >= 40 for n, r in state.items() if n.startswith("b"))
        a_done = all(r["after_reconnect"] >= 10 for n, r in state.items() if n.startswith("a"))
        if a_done and b_done:
            break
    for task in tasks:
        task.cancel()
    print(json.dumps(state), flush=True)


asyncio.run(main())
