"""WebSocket listeners for the multi-host test, written with Python's `websockets`, one per stream named.

Usage: listeners.py BASE_URL OUT_FILE STREAM...

Each listener connects to BASE_URL/ws/STREAM (through the load balancer) and records every chunk it
gets: its arrival (time.monotonic(), the same clock as the harness's), epoch and seq. When its
connection closes it reconnects after 100 ms with ?resume=EPOCH:SEQ of the last chunk it had, as the
player page does, and records each connection: when it opened and closed, which gateway served it
(X-Wavecast-Gateway) and the gateway's `resumed` answer. Prints "ready" once every listener has 3
chunks. On SIGTERM writes everything to OUT_FILE as JSON and exits.
"""
import asyncio
import json
import signal
import sys
import time

import websockets


async def listen(base, stream, record, stop):
    resume = None
    while not stop.is_set():
        url = f"{base}/ws/{stream}" + (f"?resume={resume[0]}:{resume[1]}" if resume else "")
        connection = {"opened": time.monotonic(), "closed": None, "gateway": None, "resumed": None, "error": None}
        record["connections"].append(connection)
        try:
            async with websockets.connect(url, open_timeout=3, ping_interval=None, max_size=None) as ws:
                connection["gateway"] = ws.response.headers.get("X-Wavecast-Gateway")
                stopping = asyncio.ensure_future(stop.wait())
                while True:
                    receiving = asyncio.ensure_future(ws.recv())
                    done, _ = await asyncio.wait({receiving, stopping}, return_when=asyncio.FIRST_COMPLETED)
                    if stopping in done:
                        receiving.cancel()
                        return
                    event = json.loads(receiving.result())
                    if event["event"] == "chunk":
                        media = event["media"]
                        epoch = media.get("epoch", 0)
                        record["chunks"].append([time.monotonic(), epoch, media["seq"]])
                        resume = (epoch, media["seq"])
                    elif event["event"] == "resumed":
                        connection["resumed"] = event
        except Exception as error:  # noqa: BLE001 -- every way a connection can end is recorded, then retried
            connection["error"] = f"{type(error).__name__}: {error}"
        finally:
            connection["closed"] = time.monotonic()
        await asyncio.sleep(0.1)


async def main():
    base, out_file, streams = sys.argv[1], sys.argv[2], sys.argv[3:]
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    records = {stream: {"chunks": [], "connections": []} for stream in streams}
    tasks = [asyncio.create_task(listen(base, stream, records[stream], stop)) for stream in streams]
    announced = False
    while not stop.is_set():
        if not announced and all(len(record["chunks"]) >= 3 for record in records.values()):
            print("ready", flush=True)
            announced = True
        try:
            await asyncio.wait_for(stop.wait(), 0.1)
        except asyncio.TimeoutError:
            pass
    await asyncio.wait(tasks, timeout=3)
    with open(out_file, "w") as out:
        json.dump(records, out)


asyncio.run(main())
